"""keys of duplicate submissions: a key answered with an earlier intake still names one request

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
