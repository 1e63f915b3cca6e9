"""Reminders without foreign keys, outbox indexes partial: a million-row wave writes less

The reminder table is a derived queue that planning rebuilds; its foreign keys (person,
assignment, lesson, outbox) and its person index cost ~15 s per million planned rows. The
tick's re-check skips reminders whose person/assignment/lesson is gone and the plan tick
deletes such orphans. outbox_message.account_id and external_message_id are NULL for every
queued notice: their indexes now hold only the rows that have them.

Revision ID: perf_reminders2_no_fk
Revises: perf_reminders_due_index
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The file is named by its place in the chain; the id is the one released databases hold.
revision: str = "perf_reminders2_no_fk"
down_revision: str | None = "perf_reminders_due_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REMINDER_FKS = (
    ("fk_reminder_person_id_person", "person_id", "person", "CASCADE"),
    ("fk_reminder_assignment_id_assignment", "assignment_id", "assignment", "CASCADE"),
    ("fk_reminder_lesson_id_lesson", "lesson_id", "lesson", "CASCADE"),
    ("fk_reminder_outbox_id_outbox_message", "outbox_id", "outbox_message", "SET NULL"),
)
OUTBOX_INDEXES = ("account_id", "external_message_id")


def upgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_person_id")
        for name, *_ in REMINDER_FKS:
            batch_op.drop_constraint(name, type_="foreignkey")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        for col in OUTBOX_INDEXES:
            where = sa.text(f"{col} IS NOT NULL")
            batch_op.drop_index(f"ix_outbox_message_{col}")
            batch_op.create_index(
                f"ix_outbox_message_{col}", [col], unique=False, postgresql_where=where, sqlite_where=where
            )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        for col in OUTBOX_INDEXES:
            batch_op.drop_index(f"ix_outbox_message_{col}")
            batch_op.create_index(f"ix_outbox_message_{col}", [col], unique=False)
    # Orphans would break the restored foreign keys.
    for _, col, target, _ in REMINDER_FKS[:3]:
        op.execute(f"DELETE FROM reminder WHERE {col} IS NOT NULL AND {col} NOT IN (SELECT id FROM {target})")
    op.execute("UPDATE reminder SET outbox_id = NULL WHERE outbox_id NOT IN (SELECT id FROM outbox_message)")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        for name, col, target, ondelete in REMINDER_FKS:
            batch_op.create_foreign_key(name, target, [col], ["id"], ondelete=ondelete)
        batch_op.create_index("ix_reminder_person_id", ["person_id"], unique=False)
