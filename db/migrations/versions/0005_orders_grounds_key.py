"""Orders: the grounds' category key, translated when a PDF or a list is rendered

A distance-learning order stored its grounds as the category's label in the organization's default
language, so the Russian PDF printed them in Kazakh. Such orders get the key of their application's
category and lose the stored label; the grounds of enrolment orders (free text the head typed) stay.

Revision ID: orders_grounds_key
Revises: perf_reminders2_no_fk
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The file is named by its place in the chain; the id is the one released databases hold.
revision: str = "orders_grounds_key"
down_revision: str | None = "perf_reminders2_no_fk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("study_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grounds_key", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE study_order SET grounds_key = (SELECT category FROM distance_application "
        "WHERE distance_application.id = study_order.application_id), grounds = '' "
        "WHERE kind = 'distance_learning' AND application_id IS NOT NULL"
    )


def downgrade() -> None:
    # The label comes back as the key itself: the catalogs are not at hand in a migration.
    op.execute("UPDATE study_order SET grounds = grounds_key WHERE grounds_key IS NOT NULL AND grounds = ''")
    with op.batch_alter_table("study_order", schema=None) as batch_op:
        batch_op.drop_column("grounds_key")
