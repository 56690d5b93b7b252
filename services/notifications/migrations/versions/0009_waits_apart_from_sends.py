"""a delivery's waits for a resident's contact, counted apart from its attempts to send

A contact still on its way (``intake.contacts`` behind ``referrals.status``) is waited for at
most ``max_attempts`` times, and those waits no longer spend the attempts that sending has:
``attempts - waits`` is what a send has tried, so a dispatcher that dies on the first send after
four waits leaves a retry, not a failure.
"""

import sqlalchemy as sa
from alembic import op

from rujukan_platform import migrations

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.add_column("deliveries", migrations.integer("waits", server_default=sa.text("0")))


def downgrade() -> None:
    op.drop_column("deliveries", "waits")
