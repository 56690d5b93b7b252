"""workbench_sessions: the signed-in sessions, server-side (the cookie holds only their id)"""

from alembic import op

from rujukan_platform import migrations

revision = "0001"
down_revision = None


def upgrade() -> None:
    migrations.create_table(
        "workbench_sessions",
        migrations.text("key"),
        migrations.jsonb("principal"),
        migrations.text("token"),
        migrations.text("id_token", nullable=True),
        migrations.timestamp("expires_at"),
        migrations.timestamp_now("created_at"),
        primary_key=["key"],
    )
    migrations.create_index("workbench_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("workbench_sessions")
