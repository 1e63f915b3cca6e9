"""audit_record.rows: the protected rows each audit record seals, as they stood

Grades, orders, roles (enrolments) and certificates written through Ustaz are carried, with their
meaningful columns, by the audit record of the change; `ustaz audit verify` compares each row
with its latest record, so a direct SQL edit of a protected row shows. Older records have none.

Revision ID: 0008_audit_row_hashes
Revises: 0007_web_sessions
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

revision: str = "0008_audit_row_hashes"
down_revision: str | None = "0007_web_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rows = (
        sa.JSON()
        .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
        .with_variant(sqlite.JSON(), "sqlite")
    )
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rows", rows, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.drop_column("rows")
