"""decisions per evaluation with stored facts, program versions, lean referrals, json blobs

One decision row per evaluation of an intake (facts once, a verdict per program) instead of one
row per program with its explanation repeated; referrals point at their decision instead of
copying it (and no longer copy the consent the stored intake holds); the outbox payload and the
stored intake are json: written once and read whole.

Rows from before: each intake's old decision rows become one decision whose programs carry their
explanation as it was stored ("criteria"), and each referral's copied decision becomes a decision
of its own (cause 'referral', id = the referral's id), so nothing that was recorded is lost.
"""

from alembic import op

from rujukan_platform import migrations

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    migrations.outbox_payload_as_json()
    op.execute("ALTER TABLE intakes ALTER COLUMN event TYPE json USING event::json")

    migrations.create_table(
        "program_versions",
        migrations.text("code"),
        migrations.integer("version"),
        migrations.jsonb("program"),
        migrations.timestamp_now("recorded_at"),
        primary_key=["code", "version"],
    )
    op.execute(
        "INSERT INTO program_versions (code, version, program)"
        " SELECT code, version, program FROM catalogue"
    )

    op.rename_table("decisions", "decisions_before_0003")
    op.execute("ALTER TABLE decisions_before_0003 RENAME CONSTRAINT pk_decisions TO pk_d_0003")
    migrations.create_table(
        "decisions",
        migrations.uuid("id"),
        migrations.uuid("intake_id"),
        migrations.text("cause"),
        migrations.timestamp("evaluated_at"),
        migrations.jsonb("facts"),
        migrations.jsonb("programs"),
        primary_key=["id"],
    )
    migrations.create_index("decisions", ["intake_id"])
    op.execute(
        "INSERT INTO decisions (id, intake_id, cause, evaluated_at, facts, programs)"
        " SELECT gen_random_uuid(), intake_id, 'routing', max(evaluated_at), '{}'::jsonb,"
        "  jsonb_agg(jsonb_build_object('program_code', program_code,"
        "   'program_version', program_version, 'eligible', eligible, 'skipped', skipped,"
        "   'rank', 0, 'criteria', criteria) ORDER BY program_code)"
        " FROM decisions_before_0003 GROUP BY intake_id"
    )
    op.drop_table("decisions_before_0003")

    op.add_column("referrals", migrations.uuid("decision_id", nullable=True))
    op.execute(
        "INSERT INTO decisions (id, intake_id, cause, evaluated_at, facts, programs)"
        " SELECT id, intake_id, 'referral', (decision->>'evaluated_at')::timestamptz,"
        "  '{}'::jsonb, jsonb_build_array(decision || jsonb_build_object('rank', rank,"
        "   'skipped', NULL))"
        " FROM referrals"
    )
    op.execute("UPDATE referrals SET decision_id = id")
    op.alter_column("referrals", "decision_id", nullable=False)
    op.drop_column("referrals", "decision")
    op.drop_column("referrals", "consent")


def downgrade() -> None:
    """Back to one decision row per program and copies on the referrals. Explanations of
    decisions made after 0003 are not stored as text and come back empty ("criteria": []):
    their facts and verdicts are dropped with the table."""
    op.add_column("referrals", migrations.jsonb("consent", nullable=True))
    op.add_column("referrals", migrations.jsonb("decision", nullable=True))
    op.execute(
        "UPDATE referrals r SET consent = (i.event::jsonb)->'consent'"
        " FROM intakes i WHERE i.intake_id = r.intake_id"
    )
    op.execute(
        "UPDATE referrals r SET decision = jsonb_build_object('program_code', p->>'program_code',"
        "  'program_version', (p->>'program_version')::int, 'eligible', (p->>'eligible')::bool,"
        "  'criteria', coalesce(p->'criteria', '[]'::jsonb), 'evaluated_at', d.evaluated_at)"
        " FROM decisions d, jsonb_array_elements(d.programs) p"
        " WHERE d.id = r.decision_id AND p->>'program_code' = r.program_code"
    )
    op.execute("UPDATE referrals SET consent = '{}'::jsonb WHERE consent IS NULL")
    op.execute("UPDATE referrals SET decision = '{}'::jsonb WHERE decision IS NULL")
    op.alter_column("referrals", "consent", nullable=False)
    op.alter_column("referrals", "decision", nullable=False)
    op.drop_column("referrals", "decision_id")

    op.rename_table("decisions", "decisions_after_0003")
    op.execute("ALTER TABLE decisions_after_0003 RENAME CONSTRAINT pk_decisions TO pk_d_0003")
    op.drop_index("ix_decisions_intake_id", table_name="decisions_after_0003")
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
    op.execute(
        "INSERT INTO decisions SELECT DISTINCT ON (d.intake_id, p->>'program_code')"
        "  d.intake_id, p->>'program_code', (p->>'program_version')::int,"
        "  (p->>'eligible')::bool, p->>'skipped', coalesce(p->'criteria', '[]'::jsonb),"
        "  d.evaluated_at"
        " FROM decisions_after_0003 d, jsonb_array_elements(d.programs) p"
        " WHERE d.cause <> 'referral'"
        " ORDER BY d.intake_id, p->>'program_code', d.evaluated_at DESC"
    )
    op.drop_table("decisions_after_0003")
    op.drop_table("program_versions")
    op.execute("ALTER TABLE intakes ALTER COLUMN event TYPE jsonb USING event::jsonb")
    migrations.outbox_payload_as_jsonb()
