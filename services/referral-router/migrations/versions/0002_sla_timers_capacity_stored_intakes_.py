"""sla timers, capacity, stored intakes, rerouting"""

from alembic import op
from sqlalchemy.dialects import postgresql

from rujukan_platform import migrations

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    migrations.create_table(
        "intakes",
        migrations.uuid("intake_id"),
        migrations.uuid("household_id"),
        migrations.text("village_code"),
        migrations.timestamp("submitted_at"),
        migrations.jsonb("event"),
        primary_key=["intake_id"],
    )
    migrations.create_index("intakes", ["household_id"])
    migrations.create_index("intakes", ["submitted_at"])
    migrations.create_table(
        "program_usage",
        migrations.text("program_code"),
        migrations.date("period_start"),
        migrations.integer("used"),
        primary_key=["program_code", "period_start"],
    )
    op.add_column("referrals", migrations.integer("escalation_level", server_default="0"))
    op.add_column("referrals", migrations.boolean("queued", server_default="false"))
    op.add_column("referrals", migrations.uuid("rerouted_from", nullable=True))
    op.alter_column(
        "referrals", "due_at", existing_type=postgresql.TIMESTAMP(timezone=True), nullable=True
    )
    migrations.create_index(
        "referrals", ["due_at"], name="ix_referrals_due", where="due_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_due", table_name="referrals")
    op.alter_column(
        "referrals", "due_at", existing_type=postgresql.TIMESTAMP(timezone=True), nullable=False
    )
    op.drop_column("referrals", "rerouted_from")
    op.drop_column("referrals", "queued")
    op.drop_column("referrals", "escalation_level")
    op.drop_table("program_usage")
    op.drop_table("intakes")  # and its indexes
