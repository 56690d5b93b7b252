"""replays as resumable jobs: worked through in chunks of households, with a lease"""

from alembic import op

from rujukan_platform import migrations

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    migrations.create_table(
        "replays",
        migrations.uuid("id"),
        migrations.text("status"),
        migrations.boolean("apply"),
        migrations.text_array("programs", nullable=True),
        migrations.jsonb("rule", nullable=True),
        migrations.timestamp("since", nullable=True),
        migrations.text("requested_by"),
        migrations.timestamp("created_at"),
        migrations.timestamp("started_at", nullable=True),
        migrations.timestamp("finished_at", nullable=True),
        migrations.uuid("cursor", nullable=True),
        migrations.bigint("evaluated", server_default="0"),
        migrations.jsonb("report"),
        migrations.text("error", nullable=True),
        migrations.text("lease_owner", nullable=True),
        migrations.timestamp("heartbeat_at", nullable=True),
        primary_key=["id"],
    )
    migrations.create_index("replays", ["status", "created_at"], name="ix_replays_status")
    migrations.create_table(
        "replay_registry_updates",
        migrations.uuid("replay_id"),
        migrations.uuid("household_id"),
        migrations.jsonb("facts"),
        primary_key=["replay_id", "household_id"],
    )


def downgrade() -> None:
    op.drop_table("replay_registry_updates")
    op.drop_table("replays")  # and its index
