"""web chat: sign-in codes and browser sessions

A person signs in on the web with a one-time code sent to their messenger (or their invite code
the first time); the browser then holds a session cookie whose hash is web_session.token_hash.

Revision ID: 0007_web_sessions
Revises: 0002_outbox_progress
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_web_sessions"
down_revision: str | None = "0002_outbox_progress"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: a later change of the models must not change what this revision did.
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "web_signin_code",
        sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("person_id", BIGINT_PK, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name="fk_web_signin_code_person_id_person", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_web_signin_code"),
    )
    op.create_index("ix_web_signin_code_person_id", "web_signin_code", ["person_id"])
    op.create_table(
        "web_session",
        sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", BIGINT_PK, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notices", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["messenger_account.id"],
            name="fk_web_session_account_id_messenger_account",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_web_session"),
        sa.UniqueConstraint("token_hash", name="uq_web_session_token_hash"),
    )
    op.create_index("ix_web_session_account_id", "web_session", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_web_session_account_id", table_name="web_session")
    op.drop_table("web_session")
    op.drop_index("ix_web_signin_code_person_id", table_name="web_signin_code")
    op.drop_table("web_signin_code")
