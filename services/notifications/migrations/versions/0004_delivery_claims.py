"""claims with a lease for deliveries: sent outside any transaction, taken over if a sender dies"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # a delivery being sent: who claimed it, and until when the claim holds
    op.add_column("deliveries", sa.Column("claimed_by", sa.Text(), nullable=True))
    op.add_column("deliveries", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_deliveries_sending",
        "deliveries",
        ["lease_until"],
        unique=False,
        postgresql_where="state = 'sending'",
    )


def downgrade() -> None:
    # a row claimed when the schema goes back is sent again by the old dispatcher
    op.execute("UPDATE deliveries SET state = 'pending' WHERE state = 'sending'")
    op.drop_index(
        "ix_deliveries_sending", table_name="deliveries", postgresql_where="state = 'sending'"
    )
    op.drop_column("deliveries", "lease_until")
    op.drop_column("deliveries", "claimed_by")
