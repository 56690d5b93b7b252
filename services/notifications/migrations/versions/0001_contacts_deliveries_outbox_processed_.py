"""contacts, deliveries, outbox, processed events"""

from alembic import op

from rujukan_platform import migrations

revision = "0001"
down_revision = None


def upgrade() -> None:
    migrations.create_table(
        "contacts",
        migrations.uuid("household_id"),
        migrations.text("language"),
        migrations.text("email", nullable=True),
        migrations.text("phone", nullable=True),
        migrations.timestamp_now("updated_at"),
        primary_key=["household_id"],
    )
    migrations.create_table(
        "deliveries",
        migrations.uuid("id"),
        migrations.uuid("source_event_id"),
        migrations.uuid("referral_id"),
        migrations.uuid("household_id"),
        migrations.text("channel"),
        migrations.text("recipient_masked", nullable=True),
        migrations.text("template"),
        migrations.text("context"),
        migrations.text("state"),
        migrations.integer("attempts", server_default="0"),
        migrations.text("last_error", nullable=True),
        migrations.timestamp_now("next_attempt_at"),
        migrations.timestamp_now("created_at"),
        migrations.timestamp("sent_at", nullable=True),
        primary_key=["id"],
    )
    migrations.create_index(
        "deliveries", ["next_attempt_at"], name="ix_deliveries_pending", where="state = 'pending'"
    )
    migrations.create_index("deliveries", ["referral_id"])
    migrations.create_index(
        "deliveries",
        ["source_event_id", "channel"],
        name="uq_deliveries_source_channel",
        unique=True,
    )
    migrations.create_outbox()
    migrations.create_processed_events()


def downgrade() -> None:
    # each table's indexes go with it
    migrations.drop_processed_events()
    migrations.drop_outbox()
    op.drop_table("deliveries")
    op.drop_table("contacts")
