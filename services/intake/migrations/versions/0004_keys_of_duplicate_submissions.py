"""keys of duplicate submissions: a key answered with an earlier intake still names one request"""

from alembic import op

from rujukan_platform import migrations

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # Keys of duplicates answered before this were never stored: their next use is a new one.
    migrations.create_table(
        "duplicate_keys",
        migrations.text("principal"),
        migrations.text("idempotency_key"),
        migrations.uuid("intake_id"),
        migrations.text("request_hash"),
        migrations.timestamp("submitted_at"),
        primary_key=["principal", "idempotency_key"],
        references={"intake_id": "intakes.id"},
    )


def downgrade() -> None:
    op.drop_table("duplicate_keys")
