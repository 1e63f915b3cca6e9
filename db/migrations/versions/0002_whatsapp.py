"""WhatsApp: numbered choices last offered, conversations Ustaz started (daily cap), message parts

Revision ID: issue4_whatsapp
Revises: 0001
Create Date: 2026-11-23 10:43:40.817197
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

# The file is named by its place in the chain; the id is the one released databases hold.
revision: str = "issue4_whatsapp"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_choices",
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "choices",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["messenger_account.id"],
            name=op.f("fk_whatsapp_choices_account_id_messenger_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_choices")),
        sa.UniqueConstraint("account_id", name=op.f("uq_whatsapp_choices_account_id")),
    )
    op.create_table(
        "whatsapp_business_start",
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["messenger_account.id"],
            name=op.f("fk_whatsapp_business_start_account_id_messenger_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox_message.id"],
            name=op.f("fk_whatsapp_business_start_outbox_id_outbox_message"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_business_start")),
    )
    with op.batch_alter_table("whatsapp_business_start", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_whatsapp_business_start_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_whatsapp_business_start_started_at", ["started_at"], unique=False)

    op.create_table(
        "whatsapp_part",
        sa.Column("outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox_message.id"],
            name=op.f("fk_whatsapp_part_outbox_id_outbox_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_part")),
        sa.UniqueConstraint("outbox_id", "part", name=op.f("uq_whatsapp_part_outbox_id_part")),
    )
    with op.batch_alter_table("whatsapp_part", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_whatsapp_part_sid"), ["sid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("whatsapp_part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_whatsapp_part_sid"))

    op.drop_table("whatsapp_part")
    with op.batch_alter_table("whatsapp_business_start", schema=None) as batch_op:
        batch_op.drop_index("ix_whatsapp_business_start_started_at")
        batch_op.drop_index(batch_op.f("ix_whatsapp_business_start_account_id"))

    op.drop_table("whatsapp_business_start")
    op.drop_table("whatsapp_choices")
