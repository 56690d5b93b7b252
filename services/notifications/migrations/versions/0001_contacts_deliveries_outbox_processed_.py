"""contacts, deliveries, outbox, processed events"""

import sqlalchemy as sa
from alembic import op

from rujukan_platform import migrations

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        migrations.timestamp_now("updated_at"),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_contacts")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("source_event_id", sa.UUID(), nullable=False),
        sa.Column("referral_id", sa.UUID(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("recipient_masked", sa.Text(), nullable=True),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        migrations.timestamp_now("next_attempt_at"),
        migrations.timestamp_now("created_at"),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index(
        "ix_deliveries_pending",
        "deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where="state = 'pending'",
    )
    op.create_index(op.f("ix_deliveries_referral_id"), "deliveries", ["referral_id"], unique=False)
    op.create_index(
        "uq_deliveries_source_channel", "deliveries", ["source_event_id", "channel"], unique=True
    )
    migrations.create_outbox()
    migrations.create_processed_events()


def downgrade() -> None:
    migrations.drop_processed_events()
    migrations.drop_outbox()
    op.drop_index("uq_deliveries_source_channel", table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_referral_id"), table_name="deliveries")
    op.drop_index(
        "ix_deliveries_pending", table_name="deliveries", postgresql_where="state = 'pending'"
    )
    op.drop_table("deliveries")
    op.drop_table("contacts")
