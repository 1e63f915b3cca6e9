"""calendar_feed and class_chat: private calendar links, and class group chats linked by a code

Revision ID: 0011_calendar_feeds_class_chats
Revises: 0010_link_messengers_and_consent
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_calendar_feeds_class_chats"
down_revision: str | None = "0010_link_messengers_and_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: a later change of the models must not change what this revision did.
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "calendar_feed",
        sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("person_id", BIGINT_PK, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name="fk_calendar_feed_person_id_person", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_feed"),
        sa.UniqueConstraint("person_id", name="uq_calendar_feed_person_id"),
    )
    op.create_table(
        "class_chat",
        sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("organization_id", BIGINT_PK, nullable=False),
        sa.Column("group_id", BIGINT_PK, nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", BIGINT_PK, nullable=True),
        sa.Column("account_id", BIGINT_PK, nullable=True),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("join_url", sa.String(200), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name="fk_class_chat_organization_id_organization",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["study_group.id"], name="fk_class_chat_group_id_study_group", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["person.id"], name="fk_class_chat_created_by_id_person", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["messenger_account.id"],
            name="fk_class_chat_account_id_messenger_account",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_class_chat"),
        sa.UniqueConstraint("code", name="uq_class_chat_code"),
    )
    op.create_index("ix_class_chat_group_id", "class_chat", ["group_id"])
    op.create_index("ix_class_chat_account_id", "class_chat", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_class_chat_account_id", table_name="class_chat")
    op.drop_index("ix_class_chat_group_id", table_name="class_chat")
    op.drop_table("class_chat")
    op.drop_table("calendar_feed")
