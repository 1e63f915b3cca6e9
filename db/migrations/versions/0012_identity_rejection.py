"""Proctoring (002 item 16): a rejected identity with its reason; a written attestation's identity photo

test_attempt.identity_rejection holds the teacher's reason when the photo is rejected; submission gets
the identity photo, who checked it and a rejection reason, so a written attestation waits for the
check before it is graded.

Revision ID: 0012_identity_rejection
Revises: 0011_calendar_feeds_class_chats
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_identity_rejection"
down_revision: str | None = "0011_calendar_feeds_class_chats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("test_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity_rejection", sa.Text(), nullable=True))
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity_file_name_id", ID, nullable=True))
        batch_op.add_column(sa.Column("identity_checked_by_id", ID, nullable=True))
        batch_op.add_column(sa.Column("identity_rejection", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_submission_identity_file_name_id_file_name"),
            "file_name",
            ["identity_file_name_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_submission_identity_checked_by_id_person"),
            "person",
            ["identity_checked_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_submission_identity_checked_by_id_person"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_submission_identity_file_name_id_file_name"), type_="foreignkey"
        )
        batch_op.drop_column("identity_rejection")
        batch_op.drop_column("identity_checked_by_id")
        batch_op.drop_column("identity_file_name_id")
    with op.batch_alter_table("test_attempt", schema=None) as batch_op:
        batch_op.drop_column("identity_rejection")
