"""reminder keyed by its dedupe key: no surrogate id, no unused outbox_id

Planning writes a million reminder rows in a wave and the tick rewrites each one (its status); every
index is written both times. The dedupe key (what, who, offset, the deadline) is unique already and
planning's ON CONFLICT needs its index, so it becomes the primary key: the id's index, its sequence
and 16 bytes a row (id, and outbox_id, which nothing has set since the link was dropped as too
costly) go.

Revision ID: 0015_reminder_keyed_by_dedupe
Revises: 0014_outbox_person_no_fk
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_reminder_keyed_by_dedupe"
down_revision: str | None = "0014_outbox_person_no_fk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: a later change of the models must not change what this revision did.
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PLANNED = sa.text("status = 'planned'")


def upgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_constraint("uq_reminder_dedupe_key", type_="unique")
        batch_op.drop_constraint("pk_reminder", type_="primary")
        batch_op.drop_column("id")
        batch_op.drop_column("outbox_id")
        batch_op.create_primary_key("pk_reminder", ["dedupe_key"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE reminder DROP CONSTRAINT pk_reminder")
        op.execute("ALTER TABLE reminder ADD COLUMN id BIGSERIAL PRIMARY KEY")
        op.execute("ALTER TABLE reminder RENAME CONSTRAINT reminder_pkey TO pk_reminder")
        op.add_column("reminder", sa.Column("outbox_id", sa.BigInteger(), nullable=True))
        op.create_unique_constraint("uq_reminder_dedupe_key", "reminder", ["dedupe_key"])
        return
    # SQLite: into a table of the old shape (an INTEGER PRIMARY KEY numbers the copied rows).
    op.execute("ALTER TABLE reminder RENAME TO reminder_0015")
    op.drop_index("ix_reminder_planned", table_name="reminder_0015")
    op.create_table(
        "reminder",
        sa.Column("person_id", BIGINT_PK, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("assignment_id", BIGINT_PK, nullable=True),
        sa.Column("lesson_id", BIGINT_PK, nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(128), nullable=False),
        sa.Column("outbox_id", BIGINT_PK, nullable=True),
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reminder"),
        sa.UniqueConstraint("dedupe_key", name="uq_reminder_dedupe_key"),
    )
    columns = (
        "person_id, kind, assignment_id, lesson_id, due_at, expires_at, offset_minutes, status, dedupe_key"
    )
    op.execute(f"INSERT INTO reminder ({columns}) SELECT {columns} FROM reminder_0015")
    op.drop_table("reminder_0015")
    op.create_index("ix_reminder_planned", "reminder", ["due_at"], sqlite_where=PLANNED)
