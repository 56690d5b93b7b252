"""outcome keys remember their report: a key reused for another report is refused

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows written before this stay NULL: they are compared by the report they recorded.
    op.add_column("referral_history", sa.Column("request_hash", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("referral_history", "request_hash")
