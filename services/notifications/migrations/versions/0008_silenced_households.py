"""households whose resident withdrew consent to be told (until a later intake asks again)"""

from alembic import op

from rujukan_platform import migrations

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    migrations.create_table(
        "silenced_households",
        migrations.uuid("household_id"),
        migrations.uuid("withdrawal_id"),
        migrations.timestamp("withdrawn_at"),
        primary_key=["household_id"],
    )


def downgrade() -> None:
    op.drop_table("silenced_households")
