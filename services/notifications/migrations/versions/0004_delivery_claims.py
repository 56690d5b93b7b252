"""claims with a lease for deliveries: sent outside any transaction, taken over if a sender dies"""

from alembic import op

from rujukan_platform import migrations

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # a delivery being sent: who claimed it, and until when the claim holds
    op.add_column("deliveries", migrations.text("claimed_by", nullable=True))
    op.add_column("deliveries", migrations.timestamp("lease_until", nullable=True))
    migrations.create_index(
        "deliveries", ["lease_until"], name="ix_deliveries_sending", where="state = 'sending'"
    )


def downgrade() -> None:
    # a row claimed when the schema goes back is sent again by the old dispatcher
    op.execute("UPDATE deliveries SET state = 'pending' WHERE state = 'sending'")
    op.drop_index("ix_deliveries_sending", table_name="deliveries")
    op.drop_column("deliveries", "lease_until")
    op.drop_column("deliveries", "claimed_by")
