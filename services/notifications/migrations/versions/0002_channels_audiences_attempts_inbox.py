"""channels, audiences, attempts, inbox"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rujukan_platform import migrations

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "inbox_messages",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        migrations.timestamp_now("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_messages")),
    )
    op.create_index(
        "ix_inbox_messages_recipient_created",
        "inbox_messages",
        ["recipient", "created_at"],
        unique=False,
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("delivery_id", sa.UUID(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_attempts_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_delivery_attempts_delivery_id"), "delivery_attempts", ["delivery_id"], unique=False
    )
    # Existing rows: contacts kept before channels were recorded consented to e-mail and, with a
    # phone, to SMS (the rule consented_channels applies); every existing delivery is a resident's.
    op.add_column(
        "contacts",
        sa.Column("channels", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"),
    )
    op.execute(
        "UPDATE contacts SET channels = array_remove(ARRAY["
        "CASE WHEN email IS NOT NULL THEN 'email' END, "
        "CASE WHEN phone IS NOT NULL THEN 'sms' END], NULL)"
    )
    op.alter_column("contacts", "channels", server_default=None)
    op.add_column(
        "deliveries", sa.Column("audience", sa.Text(), nullable=False, server_default="resident")
    )
    op.alter_column("deliveries", "audience", server_default=None)
    op.add_column("deliveries", sa.Column("address", sa.Text(), nullable=True))
    op.drop_index(op.f("uq_deliveries_source_channel"), table_name="deliveries")
    op.create_index(
        "ix_deliveries_household_sent", "deliveries", ["household_id", "sent_at"], unique=False
    )
    op.create_index(
        "uq_deliveries_source_audience_channel",
        "deliveries",
        ["source_event_id", "audience", "channel"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_deliveries_source_audience_channel", table_name="deliveries")
    op.drop_index("ix_deliveries_household_sent", table_name="deliveries")
    op.execute("DELETE FROM deliveries WHERE audience <> 'resident'")
    op.create_index(
        op.f("uq_deliveries_source_channel"),
        "deliveries",
        ["source_event_id", "channel"],
        unique=True,
    )
    op.drop_column("deliveries", "address")
    op.drop_column("deliveries", "audience")
    op.drop_column("contacts", "channels")
    op.drop_index(op.f("ix_delivery_attempts_delivery_id"), table_name="delivery_attempts")
    op.drop_table("delivery_attempts")
    op.drop_index("ix_inbox_messages_recipient_created", table_name="inbox_messages")
    op.drop_table("inbox_messages")
