"""outbox for throughput: json payload (read once as text, never parsed), seq as primary key

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE outbox ALTER COLUMN payload TYPE json USING payload::json")
    # one index, appended to in order: the relay selects and deletes by seq
    op.drop_constraint("uq_outbox_seq", "outbox", type_="unique")
    op.drop_constraint("pk_outbox", "outbox", type_="primary")
    op.create_primary_key("pk_outbox", "outbox", ["seq"])


def downgrade() -> None:
    op.drop_constraint("pk_outbox", "outbox", type_="primary")
    op.create_primary_key("pk_outbox", "outbox", ["id"])
    op.create_unique_constraint("uq_outbox_seq", "outbox", ["seq"])
    op.execute("ALTER TABLE outbox ALTER COLUMN payload TYPE jsonb USING payload::jsonb")
