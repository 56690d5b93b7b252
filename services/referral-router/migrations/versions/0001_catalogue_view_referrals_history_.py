"""catalogue view, referrals, history, decisions, outbox, processed events"""

from alembic import op

from rujukan_platform import migrations

revision = "0001"
down_revision = None


def upgrade() -> None:
    migrations.create_table(
        "catalogue",
        migrations.text("code"),
        migrations.integer("version"),
        migrations.text("status"),
        migrations.jsonb("program"),
        migrations.timestamp_now("updated_at"),
        primary_key=["code"],
    )
    migrations.create_table(
        "decisions",
        migrations.uuid("intake_id"),
        migrations.text("program_code"),
        migrations.integer("program_version"),
        migrations.boolean("eligible"),
        migrations.text("skipped", nullable=True),
        migrations.jsonb("criteria"),
        migrations.timestamp("evaluated_at"),
        primary_key=["intake_id", "program_code"],
    )
    migrations.create_outbox()
    migrations.create_processed_events()
    migrations.create_table(
        "referral_history",
        migrations.integer("seq", autoincrement=True),
        migrations.uuid("referral_id"),
        migrations.text("from_status", nullable=True),
        migrations.text("to_status"),
        migrations.text("reason_code", nullable=True),
        migrations.text("note", nullable=True),
        migrations.text("actor"),
        migrations.text("idempotency_key", nullable=True),
        migrations.timestamp("at"),
        primary_key=["seq"],
    )
    migrations.create_index("referral_history", ["referral_id"])
    migrations.create_index(
        "referral_history",
        ["referral_id", "idempotency_key"],
        name="uq_referral_history_idem",
        unique=True,
    )
    migrations.create_table(
        "referrals",
        migrations.uuid("id"),
        migrations.uuid("intake_id"),
        migrations.uuid("household_id"),
        migrations.text("program_code"),
        migrations.integer("program_version"),
        migrations.text("kind"),
        migrations.text("status"),
        migrations.text("reason_code", nullable=True),
        migrations.text("village_code"),
        migrations.text_array("needs"),
        migrations.text_array("priority_lanes"),
        migrations.integer("rank"),
        migrations.jsonb("decision"),
        migrations.jsonb("consent"),
        migrations.timestamp("due_at"),
        migrations.timestamp("created_at"),
        migrations.timestamp("updated_at"),
        primary_key=["id"],
    )
    migrations.create_index("referrals", ["household_id"])
    migrations.create_index("referrals", ["intake_id"])
    migrations.create_index(
        "referrals", ["program_code", "status"], name="ix_referrals_program_status"
    )
    migrations.create_index("referrals", ["village_code"], name="ix_referrals_village")
    migrations.create_index(
        "referrals",
        ["household_id", "program_code"],
        name="uq_referrals_open_household_program",
        unique=True,
        where="status NOT IN ('completed', 'rejected', 'expired', 'withdrawn')",
    )


def downgrade() -> None:
    # each table's indexes go with it
    op.drop_table("referrals")
    op.drop_table("referral_history")
    migrations.drop_processed_events()
    migrations.drop_outbox()
    op.drop_table("decisions")
    op.drop_table("catalogue")
