"""Alertmanager's alerts in the operators' inbox: one message per occurrence

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
