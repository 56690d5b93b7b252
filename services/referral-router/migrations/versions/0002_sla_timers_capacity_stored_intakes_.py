"""sla timers, capacity, stored intakes, rerouting"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "intakes",
        sa.Column("intake_id", sa.UUID(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("village_code", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("intake_id", name=op.f("pk_intakes")),
    )
    op.create_index(op.f("ix_intakes_household_id"), "intakes", ["household_id"], unique=False)
    op.create_index(op.f("ix_intakes_submitted_at"), "intakes", ["submitted_at"], unique=False)
    op.create_table(
        "program_usage",
        sa.Column("program_code", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("program_code", "period_start", name=op.f("pk_program_usage")),
    )
    op.add_column(
        "referrals", sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "referrals", sa.Column("queued", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column("referrals", sa.Column("rerouted_from", sa.UUID(), nullable=True))
    op.alter_column(
        "referrals", "due_at", existing_type=postgresql.TIMESTAMP(timezone=True), nullable=True
    )
    op.create_index(
        "ix_referrals_due",
        "referrals",
        ["due_at"],
        unique=False,
        postgresql_where="due_at IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_due", table_name="referrals", postgresql_where="due_at IS NOT NULL")
    op.alter_column(
        "referrals", "due_at", existing_type=postgresql.TIMESTAMP(timezone=True), nullable=False
    )
    op.drop_column("referrals", "rerouted_from")
    op.drop_column("referrals", "queued")
    op.drop_column("referrals", "escalation_level")
    op.drop_table("program_usage")
    op.drop_index(op.f("ix_intakes_submitted_at"), table_name="intakes")
    op.drop_index(op.f("ix_intakes_household_id"), table_name="intakes")
    op.drop_table("intakes")
