"""catalogue view, referrals, history, decisions, outbox, processed events"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rujukan_platform import migrations

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "catalogue",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("program", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        migrations.timestamp_now("updated_at"),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_catalogue")),
    )
    op.create_table(
        "decisions",
        sa.Column("intake_id", sa.UUID(), nullable=False),
        sa.Column("program_code", sa.Text(), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("skipped", sa.Text(), nullable=True),
        sa.Column("criteria", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("intake_id", "program_code", name=op.f("pk_decisions")),
    )
    migrations.create_outbox()
    migrations.create_processed_events()
    op.create_table(
        "referral_history",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("referral_id", sa.UUID(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("reason_code", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_referral_history")),
    )
    op.create_index(
        op.f("ix_referral_history_referral_id"), "referral_history", ["referral_id"], unique=False
    )
    op.create_index(
        "uq_referral_history_idem",
        "referral_history",
        ["referral_id", "idempotency_key"],
        unique=True,
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("intake_id", sa.UUID(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("program_code", sa.Text(), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason_code", sa.Text(), nullable=True),
        sa.Column("village_code", sa.Text(), nullable=False),
        sa.Column("needs", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("priority_lanes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("decision", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("consent", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_household_id"), "referrals", ["household_id"], unique=False)
    op.create_index(op.f("ix_referrals_intake_id"), "referrals", ["intake_id"], unique=False)
    op.create_index(
        "ix_referrals_program_status", "referrals", ["program_code", "status"], unique=False
    )
    op.create_index("ix_referrals_village", "referrals", ["village_code"], unique=False)
    op.create_index(
        "uq_referrals_open_household_program",
        "referrals",
        ["household_id", "program_code"],
        unique=True,
        postgresql_where="status NOT IN ('completed', 'rejected', 'expired', 'withdrawn')",
    )


def downgrade() -> None:
    op.drop_index(
        "uq_referrals_open_household_program",
        table_name="referrals",
        postgresql_where="status NOT IN ('completed', 'rejected', 'expired', 'withdrawn')",
    )
    op.drop_index("ix_referrals_village", table_name="referrals")
    op.drop_index("ix_referrals_program_status", table_name="referrals")
    op.drop_index(op.f("ix_referrals_intake_id"), table_name="referrals")
    op.drop_index(op.f("ix_referrals_household_id"), table_name="referrals")
    op.drop_table("referrals")
    op.drop_index("uq_referral_history_idem", table_name="referral_history")
    op.drop_index(op.f("ix_referral_history_referral_id"), table_name="referral_history")
    op.drop_table("referral_history")
    migrations.drop_processed_events()
    migrations.drop_outbox()
    op.drop_table("decisions")
    op.drop_table("catalogue")
