"""intake facts for explain and dry runs, published version"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "intake_facts",
        sa.Column("intake_id", sa.UUID(), nullable=False),
        sa.Column("village_code", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("intake_id", name=op.f("pk_intake_facts")),
    )
    op.create_index(
        op.f("ix_intake_facts_submitted_at"), "intake_facts", ["submitted_at"], unique=False
    )
    op.add_column("programs", sa.Column("published_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("programs", "published_version")
    op.drop_index(op.f("ix_intake_facts_submitted_at"), table_name="intake_facts")
    op.drop_table("intake_facts")
