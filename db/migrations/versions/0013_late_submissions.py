"""Late submissions (issue 14): the teacher chooses per assignment whether late work is accepted

assignment.accepts_late: true (as before: accepted after the deadline and marked late) or false
(refused after the student's deadline, and the student is told whom to ask).

Revision ID: 0013_late_submissions
Revises: 0012_identity_rejection
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_late_submissions"
down_revision: str | None = "0012_identity_rejection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepts_late", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_column("accepts_late")
