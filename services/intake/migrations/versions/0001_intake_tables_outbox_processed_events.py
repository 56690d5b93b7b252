"""intake tables, outbox, processed events"""

import sqlalchemy as sa
from alembic import op

from rujukan_platform import migrations

revision = "0001"
down_revision = None


def upgrade() -> None:
    migrations.create_table(
        "households",
        migrations.uuid("id"),
        migrations.text("kk_hash"),
        migrations.text("village_code"),
        migrations.timestamp_now("created_at"),
        sa.UniqueConstraint("kk_hash", name=op.f("uq_households_kk_hash")),
        primary_key=["id"],
    )
    migrations.create_index("households", ["village_code"])
    migrations.create_table(
        "intake_referrals",
        migrations.uuid("referral_id"),
        migrations.uuid("intake_id"),
        migrations.text("program_code"),
        migrations.text("status"),
        migrations.text("reason_code", nullable=True),
        migrations.timestamp("changed_at"),
        primary_key=["referral_id"],
    )
    migrations.create_index("intake_referrals", ["intake_id"])
    migrations.create_outbox()
    migrations.create_processed_events()
    migrations.create_table(
        "registry_households",
        migrations.text("kk_hash"),
        migrations.integer("decile"),
        migrations.text_array("enrolments"),
        migrations.boolean("has_kks"),
        migrations.timestamp_now("loaded_at"),
        primary_key=["kk_hash"],
    )
    migrations.create_table(
        "intakes",
        migrations.uuid("id"),
        migrations.uuid("household_id"),
        migrations.text("idempotency_key", nullable=True),
        migrations.text("principal"),
        migrations.text("village_code"),
        migrations.text_array("needs"),
        migrations.text_array("priority_lanes"),
        migrations.jsonb("registry"),
        migrations.jsonb("consent"),
        migrations.jsonb("taken_by"),
        migrations.text("request_hash"),
        migrations.timestamp_now("submitted_at"),
        primary_key=["id"],
        references={"household_id": "households.id"},
    )
    migrations.create_index(
        "intakes", ["household_id", "submitted_at"], name="ix_intakes_household_submitted"
    )
    migrations.create_index(
        "intakes", ["principal", "idempotency_key"], name="ix_intakes_idempotency", unique=True
    )
    migrations.create_index("intakes", ["village_code"])
    migrations.create_table(
        "members",
        migrations.uuid("id"),
        migrations.uuid("household_id"),
        migrations.text("nik_hash"),
        migrations.text("nik_last4"),
        migrations.text("name"),
        migrations.date("birth_date"),
        migrations.text("sex"),
        migrations.text("relationship"),
        migrations.jsonb("attributes"),
        primary_key=["id"],
        references={"household_id": "households.id"},
    )
    migrations.create_index(
        "members", ["household_id", "nik_hash"], name="ix_members_household_nik", unique=True
    )
    migrations.create_index("members", ["nik_hash"])


def downgrade() -> None:
    # each table's indexes go with it
    op.drop_table("members")
    op.drop_table("intakes")
    op.drop_table("registry_households")
    migrations.drop_processed_events()
    migrations.drop_outbox()
    op.drop_table("intake_referrals")
    op.drop_table("households")
