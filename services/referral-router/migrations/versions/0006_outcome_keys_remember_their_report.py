"""outcome keys remember their report: a key reused for another report is refused"""

from alembic import op

from rujukan_platform import migrations

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    # Rows written before this stay NULL: they are compared by the report they recorded.
    op.add_column("referral_history", migrations.text("request_hash", nullable=True))


def downgrade() -> None:
    op.drop_column("referral_history", "request_hash")
