"""identity reads: who read which household's identity, when, for which referral"""

import sqlalchemy as sa
from alembic import op

from rujukan_platform import migrations

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    migrations.create_table(
        "identity_reads",
        migrations.bigint("id", sa.Identity(always=True)),
        migrations.timestamp_now("at"),
        migrations.text("subject"),
        migrations.text("role"),
        migrations.uuid("household_id"),
        migrations.text("village_code"),
        migrations.uuid("referral_id", nullable=True),
        migrations.text("program_code", nullable=True),
        migrations.text("purpose"),
        primary_key=["id"],
    )
    migrations.create_index(
        "identity_reads", ["household_id", "at"], name="ix_identity_reads_household"
    )
    migrations.create_index(
        "identity_reads", ["village_code", "at"], name="ix_identity_reads_village"
    )


def downgrade() -> None:
    op.drop_table("identity_reads")
