"""members keep no NIK digits: nik_last4 beside birth date, sex and village rebuilt the NIK"""

from alembic import op

from rujukan_platform import migrations

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.drop_column("members", "nik_last4")


def downgrade() -> None:
    # The digits are gone for good: the column comes back empty.
    op.add_column("members", migrations.text("nik_last4", nullable=True))
