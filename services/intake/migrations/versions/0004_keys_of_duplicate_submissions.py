"""keys of duplicate submissions: a key answered with an earlier intake still names one request"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # Keys of duplicates answered before this were never stored: their next use is a new one.
    op.create_table(
        "duplicate_keys",
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("intake_id", sa.UUID(), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intakes.id"], name=op.f("fk_duplicate_keys_intake_id_intakes")
        ),
        sa.PrimaryKeyConstraint("principal", "idempotency_key", name=op.f("pk_duplicate_keys")),
    )


def downgrade() -> None:
    op.drop_table("duplicate_keys")
