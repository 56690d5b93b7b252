"""intake tables, outbox, processed events"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rujukan_platform import migrations

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kk_hash", sa.Text(), nullable=False),
        sa.Column("village_code", sa.Text(), nullable=False),
        migrations.timestamp_now("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("kk_hash", name=op.f("uq_households_kk_hash")),
    )
    op.create_index(
        op.f("ix_households_village_code"), "households", ["village_code"], unique=False
    )
    op.create_table(
        "intake_referrals",
        sa.Column("referral_id", sa.UUID(), nullable=False),
        sa.Column("intake_id", sa.UUID(), nullable=False),
        sa.Column("program_code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason_code", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_intake_referrals")),
    )
    op.create_index(
        op.f("ix_intake_referrals_intake_id"), "intake_referrals", ["intake_id"], unique=False
    )
    migrations.create_outbox()
    migrations.create_processed_events()
    op.create_table(
        "registry_households",
        sa.Column("kk_hash", sa.Text(), nullable=False),
        sa.Column("decile", sa.Integer(), nullable=False),
        sa.Column("enrolments", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("has_kks", sa.Boolean(), nullable=False),
        migrations.timestamp_now("loaded_at"),
        sa.PrimaryKeyConstraint("kk_hash", name=op.f("pk_registry_households")),
    )
    op.create_table(
        "intakes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("village_code", sa.Text(), nullable=False),
        sa.Column("needs", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("priority_lanes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("registry", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("consent", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("taken_by", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        migrations.timestamp_now("submitted_at"),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_intakes_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intakes")),
    )
    op.create_index(
        "ix_intakes_household_submitted", "intakes", ["household_id", "submitted_at"], unique=False
    )
    op.create_index(
        "ix_intakes_idempotency", "intakes", ["principal", "idempotency_key"], unique=True
    )
    op.create_index(op.f("ix_intakes_village_code"), "intakes", ["village_code"], unique=False)
    op.create_table(
        "members",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("nik_hash", sa.Text(), nullable=False),
        sa.Column("nik_last4", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.Text(), nullable=False),
        sa.Column("relationship", sa.Text(), nullable=False),
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_members_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
    )
    op.create_index(
        "ix_members_household_nik", "members", ["household_id", "nik_hash"], unique=True
    )
    op.create_index(op.f("ix_members_nik_hash"), "members", ["nik_hash"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_members_nik_hash"), table_name="members")
    op.drop_index("ix_members_household_nik", table_name="members")
    op.drop_table("members")
    op.drop_index(op.f("ix_intakes_village_code"), table_name="intakes")
    op.drop_index("ix_intakes_idempotency", table_name="intakes")
    op.drop_index("ix_intakes_household_submitted", table_name="intakes")
    op.drop_table("intakes")
    op.drop_table("registry_households")
    migrations.drop_processed_events()
    migrations.drop_outbox()
    op.drop_index(op.f("ix_intake_referrals_intake_id"), table_name="intake_referrals")
    op.drop_table("intake_referrals")
    op.drop_index(op.f("ix_households_village_code"), table_name="households")
    op.drop_table("households")
