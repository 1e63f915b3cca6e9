"""one person on several messengers, and personal data consent and erasure


A person asks for a one-time link code on one messenger and sends it from another; the code is kept
only as a hash (link_code), wrong codes an account sends are counted (link_try) to slow guessing,
and messenger_account.notices_first marks the account the person chose for notices.
Consent (law No. 94-V) records who gave it (the person, or a parent for a minor) and in which
language; person.erased_at marks a person whose personal data were erased on request.

Revision ID: 0010_link_messengers_and_consent
Revises: 0009_outbox_shared_payload
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_link_messengers_and_consent"
down_revision: str | None = "0009_outbox_shared_payload"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: a later change of the models must not change what this revision did.
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_by_id", BIGINT_PK, nullable=True))
        batch_op.add_column(sa.Column("consent_locale", sa.String(8), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_person_consent_by_id_person", "person", ["consent_by_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("messenger_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notices_first", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "link_code",
        sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("person_id", BIGINT_PK, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_account_id", BIGINT_PK, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name="fk_link_code_person_id_person", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["used_by_account_id"],
            ["messenger_account.id"],
            name="fk_link_code_used_by_account_id_messenger_account",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_link_code"),
        sa.UniqueConstraint("code_hash", name="uq_link_code_code_hash"),
    )
    op.create_index("ix_link_code_person_id", "link_code", ["person_id"])
    op.create_table(
        "link_try",
        sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("account_id", BIGINT_PK, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["messenger_account.id"],
            name="fk_link_try_account_id_messenger_account",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_link_try"),
    )
    op.create_index("ix_link_try_account_id", "link_try", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_link_try_account_id", table_name="link_try")
    op.drop_table("link_try")
    op.drop_index("ix_link_code_person_id", table_name="link_code")
    op.drop_table("link_code")
    with op.batch_alter_table("messenger_account", schema=None) as batch_op:
        batch_op.drop_column("notices_first")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint("fk_person_consent_by_id_person", type_="foreignkey")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("consent_locale")
        batch_op.drop_column("consent_by_id")
