"""outbox_message.person_id without a foreign key: a reminder wave checks no person a million times

Queuing a wave of 1,000,000 reminders spent ~4.5 s of its ~40 s in the foreign key's per-row
check (a `FOR KEY SHARE` lookup of the person for every outbox row). Ustaz never deletes a person
(erasure keeps the row, pseudonymous), so the cascade it gave had nothing to do; a row whose person
is gone anyway (deleted by hand) finds no account to go to and the sender marks it unreachable,
sending nothing. The index on person_id stays (WhatsApp looks a person's rows up by it).

Revision ID: 0014_outbox_person_no_fk
Revises: 0013_late_submissions
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014_outbox_person_no_fk"
down_revision: str | None = "0013_late_submissions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_outbox_message_person_id_person"


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")


def downgrade() -> None:
    # Rows of a person deleted meanwhile would break the restored key; the cascade would have removed them.
    op.execute("DELETE FROM outbox_message WHERE person_id NOT IN (SELECT id FROM person)")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_foreign_key(FK, "person", ["person_id"], ["id"], ondelete="CASCADE")
