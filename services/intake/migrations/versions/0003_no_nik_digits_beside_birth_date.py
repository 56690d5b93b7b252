"""members keep no NIK digits: nik_last4 beside birth date, sex and village rebuilt the NIK

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_column("members", "nik_last4")


def downgrade() -> None:
    # The digits are gone for good: the column comes back empty.
    op.add_column("members", sa.Column("nik_last4", sa.Text(), nullable=True))
