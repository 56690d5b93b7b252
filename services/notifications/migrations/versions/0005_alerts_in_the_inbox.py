"""Alertmanager's alerts in the operators' inbox: one message per occurrence"""

from alembic import op

from rujukan_platform import migrations

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    # an alert's message is keyed by its fingerprint and start, and says whether it still fires
    op.add_column("inbox_messages", migrations.text("alert_key", nullable=True))
    op.add_column("inbox_messages", migrations.text("alert_status", nullable=True))
    migrations.create_index(
        "inbox_messages", ["alert_key"], name="uq_inbox_messages_alert_key", unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_inbox_messages_alert_key", table_name="inbox_messages")
    op.execute("DELETE FROM inbox_messages WHERE alert_key IS NOT NULL")
    op.drop_column("inbox_messages", "alert_status")
    op.drop_column("inbox_messages", "alert_key")
