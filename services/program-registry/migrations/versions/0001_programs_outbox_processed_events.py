"""programs, outbox, processed events"""

from alembic import op

from rujukan_platform import migrations

revision = "0001"
down_revision = None


def upgrade() -> None:
    migrations.create_outbox()
    migrations.create_processed_events()
    migrations.create_table(
        "programs",
        migrations.text("code"),
        migrations.text("owner_agency"),
        migrations.text("status"),
        migrations.integer("revision"),
        migrations.jsonb("document"),
        migrations.text("updated_by"),
        migrations.timestamp_now("updated_at"),
        primary_key=["code"],
    )


def downgrade() -> None:
    op.drop_table("programs")
    migrations.drop_processed_events()
    migrations.drop_outbox()
