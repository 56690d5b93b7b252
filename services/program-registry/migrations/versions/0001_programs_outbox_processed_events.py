"""programs, outbox, processed events"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rujukan_platform import migrations

revision = "0001"
down_revision = None


def upgrade() -> None:
    migrations.create_outbox()
    migrations.create_processed_events()
    op.create_table(
        "programs",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("owner_agency", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        migrations.timestamp_now("updated_at"),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_programs")),
    )


def downgrade() -> None:
    op.drop_table("programs")
    migrations.drop_processed_events()
    migrations.drop_outbox()
