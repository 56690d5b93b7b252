"""channels, audiences, attempts, inbox"""

import sqlalchemy as sa
from alembic import op

from rujukan_platform import migrations

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    migrations.create_table(
        "inbox_messages",
        migrations.uuid("id"),
        migrations.text("recipient"),
        migrations.text("subject"),
        migrations.text("body"),
        migrations.timestamp_now("created_at"),
        primary_key=["id"],
    )
    migrations.create_index(
        "inbox_messages", ["recipient", "created_at"], name="ix_inbox_messages_recipient_created"
    )
    migrations.create_table(
        "delivery_attempts",
        migrations.bigint("id", sa.Identity(always=True)),
        migrations.uuid("delivery_id"),
        migrations.integer("attempt"),
        migrations.text("outcome"),
        migrations.text("provider", nullable=True),
        migrations.text("detail", nullable=True),
        migrations.integer("duration_ms", nullable=True),
        migrations.timestamp("at"),
        primary_key=["id"],
        references={"delivery_id": "deliveries.id"},
        on_delete="CASCADE",
    )
    migrations.create_index("delivery_attempts", ["delivery_id"])
    # Existing rows: contacts kept before channels were recorded consented to e-mail and, with a
    # phone, to SMS (the rule consented_channels applies); every existing delivery is a resident's.
    op.add_column("contacts", migrations.text_array("channels", server_default="{}"))
    op.execute(
        "UPDATE contacts SET channels = array_remove(ARRAY["
        "CASE WHEN email IS NOT NULL THEN 'email' END, "
        "CASE WHEN phone IS NOT NULL THEN 'sms' END], NULL)"
    )
    op.alter_column("contacts", "channels", server_default=None)
    op.add_column("deliveries", migrations.text("audience", server_default="resident"))
    op.alter_column("deliveries", "audience", server_default=None)
    op.add_column("deliveries", migrations.text("address", nullable=True))
    op.drop_index("uq_deliveries_source_channel", table_name="deliveries")
    migrations.create_index(
        "deliveries", ["household_id", "sent_at"], name="ix_deliveries_household_sent"
    )
    migrations.create_index(
        "deliveries",
        ["source_event_id", "audience", "channel"],
        name="uq_deliveries_source_audience_channel",
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_deliveries_source_audience_channel", table_name="deliveries")
    op.drop_index("ix_deliveries_household_sent", table_name="deliveries")
    op.execute("DELETE FROM deliveries WHERE audience <> 'resident'")
    migrations.create_index(
        "deliveries",
        ["source_event_id", "channel"],
        name="uq_deliveries_source_channel",
        unique=True,
    )
    op.drop_column("deliveries", "address")
    op.drop_column("deliveries", "audience")
    op.drop_column("contacts", "channels")
    op.drop_table("delivery_attempts")  # and its index
    op.drop_table("inbox_messages")  # and its index
