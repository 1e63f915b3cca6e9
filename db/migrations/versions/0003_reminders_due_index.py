"""Reminders: the tick's index holds only planned rows, so marking one queued does not touch it

Revision ID: perf_reminders_due_index
Revises: issue4_whatsapp
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The file is named by its place in the chain; the id is the one released databases hold.
revision: str = "perf_reminders_due_index"
down_revision: str | None = "issue4_whatsapp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLANNED = sa.text("status = 'planned'")


def upgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_due")
        batch_op.create_index(
            "ix_reminder_planned", ["due_at"], unique=False, postgresql_where=PLANNED, sqlite_where=PLANNED
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_planned")
        batch_op.create_index("ix_reminder_due", ["status", "due_at"], unique=False)
