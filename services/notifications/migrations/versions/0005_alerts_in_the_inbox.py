"""Alertmanager's alerts in the operators' inbox: one message per occurrence"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    # an alert's message is keyed by its fingerprint and start, and says whether it still fires
    op.add_column("inbox_messages", sa.Column("alert_key", sa.Text(), nullable=True))
    op.add_column("inbox_messages", sa.Column("alert_status", sa.Text(), nullable=True))
    op.create_index("uq_inbox_messages_alert_key", "inbox_messages", ["alert_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_inbox_messages_alert_key", table_name="inbox_messages")
    op.execute("DELETE FROM inbox_messages WHERE alert_key IS NOT NULL")
    op.drop_column("inbox_messages", "alert_status")
    op.drop_column("inbox_messages", "alert_key")
