"""outbox: how many parts of a row are sent, and since when it has been failing

parts_done lets a retry (or a restart after a crash) continue a message of several parts from the
first part not yet sent. failing_since is the first failed attempt of a row not yet sent: after the
configured time a notice goes by the person's next channel.

Revision ID: 0002_outbox_progress
Revises: orders_grounds_key
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The file is named by its place in the chain; the id is the one released databases hold.
revision: str = "0002_outbox_progress"
down_revision: str | None = "orders_grounds_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parts_done", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("failing_since")
        batch_op.drop_column("parts_done")
