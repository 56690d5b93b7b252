"""what a visit's complaint said, and which mirrored referrals are complaint cases

The intake keeps the complaint (kind, category, text, what about) beside the needs, so its view
shows it with its case's status; the router's status events say a referral's kind (rows mirrored
before are need referrals, as the router then made complaints only beside them).
"""

import sqlalchemy as sa
from alembic import op

from rujukan_platform import migrations

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.add_column("intakes", migrations.jsonb("complaint", nullable=True))
    op.add_column("intake_referrals", migrations.text("kind", server_default=sa.text("'need'")))


def downgrade() -> None:
    op.drop_column("intake_referrals", "kind")
    op.drop_column("intakes", "complaint")
