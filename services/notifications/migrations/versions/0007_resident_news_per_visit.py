"""resident news gathered per visit, and why a resident is told in person"""

from alembic import op

from rujukan_platform import migrations

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    migrations.create_table(
        "resident_visits",
        migrations.uuid("intake_id"),
        migrations.uuid("household_id"),
        migrations.text("village_code"),
        migrations.timestamp("summarise_at", nullable=True),
        migrations.integer("messages", server_default="0"),
        primary_key=["intake_id"],
    )
    migrations.create_index(
        "resident_visits",
        ["summarise_at"],
        name="ix_resident_visits_due",
        where="summarise_at IS NOT NULL",
    )
    migrations.create_table(
        "resident_news",
        migrations.uuid("event_id"),
        migrations.uuid("intake_id"),
        migrations.uuid("referral_id"),
        migrations.text("news"),
        migrations.timestamp("changed_at"),
        migrations.uuid("digest_id", nullable=True),
        migrations.timestamp_now("created_at"),
        primary_key=["event_id"],
        references={"intake_id": "resident_visits.intake_id"},
    )
    migrations.create_index("resident_news", ["referral_id"])
    migrations.create_index(
        "resident_news", ["intake_id"], name="ix_resident_news_gathered", where="digest_id IS NULL"
    )
    op.add_column("deliveries", migrations.text("unreachable_reason", nullable=True))
    op.add_column("deliveries", migrations.text("unreachable_detail", nullable=True))


def downgrade() -> None:
    op.drop_column("deliveries", "unreachable_detail")
    op.drop_column("deliveries", "unreachable_reason")
    op.drop_table("resident_news")
    op.drop_table("resident_visits")
