"""intake facts for explain and dry runs, published version"""

from alembic import op

from rujukan_platform import migrations

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    migrations.create_table(
        "intake_facts",
        migrations.uuid("intake_id"),
        migrations.text("village_code"),
        migrations.timestamp("submitted_at"),
        migrations.jsonb("event"),
        primary_key=["intake_id"],
    )
    migrations.create_index("intake_facts", ["submitted_at"])
    op.add_column("programs", migrations.integer("published_version", nullable=True))


def downgrade() -> None:
    op.drop_column("programs", "published_version")
    op.drop_table("intake_facts")  # and its index
