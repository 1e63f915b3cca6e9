"""outbox: a rendered message shared by many rows (outbox_payload, outbox_message.payload_id)

A reminder wave queues a million outbox rows; copying the same rendered payload (and its WhatsApp
template variables) into each cost most of the wave's time. The rows now point at one shared
payload per distinct message; outbox_message.payload is empty for them. payload_id has no foreign
key (a check per row of the wave) and no index (nothing looks rows up by it).

outbox_message's unique dedupe_key becomes a partial unique index (IS NOT NULL): the wave's rows
carry no key and add no entry.

PostgreSQL: reminder.dedupe_key compares byte by byte (collation "C"), so that its unique index,
written a million entries at a time by planning and the tick, does not pay the language's collation.

Revision ID: 0009_outbox_shared_payload
Revises: 0008_audit_row_hashes
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

revision: str = "0009_outbox_shared_payload"
down_revision: str | None = "0008_audit_row_hashes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: a later change of the models must not change what this revision did.
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = (
    sa.JSON()
    .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    .with_variant(sqlite.JSON(), "sqlite")
)


def upgrade() -> None:
    op.create_table(
        "outbox_payload",
        sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("template_vars", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_payload"),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload_id", BIGINT_PK, nullable=True))
        batch_op.alter_column("payload", existing_type=JSON, nullable=True)
        batch_op.drop_constraint("uq_outbox_message_dedupe_key", type_="unique")
    op.create_index(
        "uq_outbox_message_dedupe_key",
        "outbox_message",
        ["dedupe_key"],
        unique=True,
        postgresql_where=sa.text("dedupe_key IS NOT NULL"),
        sqlite_where=sa.text("dedupe_key IS NOT NULL"),
    )
    if op.get_context().dialect.name == "postgresql":
        op.alter_column(
            "reminder", "dedupe_key", type_=sa.String(128, collation="C"), existing_nullable=False
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.alter_column(
            "reminder", "dedupe_key", type_=sa.String(128, collation="default"), existing_nullable=False
        )
    op.execute(
        "UPDATE outbox_message SET payload = (SELECT p.payload FROM outbox_payload p WHERE p.id = payload_id), "
        "template_vars = COALESCE(template_vars, (SELECT p.template_vars FROM outbox_payload p "
        "WHERE p.id = payload_id)) WHERE payload_id IS NOT NULL"
    )
    op.drop_index("uq_outbox_message_dedupe_key", table_name="outbox_message")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_outbox_message_dedupe_key", ["dedupe_key"])
        batch_op.alter_column("payload", existing_type=JSON, nullable=False)
        batch_op.drop_column("payload_id")
    op.drop_table("outbox_payload")
