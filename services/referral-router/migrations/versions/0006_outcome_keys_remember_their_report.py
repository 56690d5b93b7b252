"""outcome keys remember their report: a key reused for another report is refused"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    # Rows written before this stay NULL: they are compared by the report they recorded.
    op.add_column("referral_history", sa.Column("request_hash", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("referral_history", "request_hash")
