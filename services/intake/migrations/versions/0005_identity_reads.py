"""identity reads: who read which household's identity, when, for which referral"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rujukan_platform import migrations

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "identity_reads",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        migrations.timestamp_now("at"),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("household_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("village_code", sa.Text(), nullable=False),
        sa.Column("referral_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("program_code", sa.Text(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
    )
    op.create_index("ix_identity_reads_household", "identity_reads", ["household_id", "at"])
    op.create_index("ix_identity_reads_village", "identity_reads", ["village_code", "at"])


def downgrade() -> None:
    op.drop_table("identity_reads")
