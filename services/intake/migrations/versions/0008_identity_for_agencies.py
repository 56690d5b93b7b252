"""what an agency needs to find the family: NIK, KK number, address and contact sealed at rest,
the documents the household lacks, the referrals' short references and the programs' documents

NIK and KK were kept only as keyed hashes; they are now also sealed (AES-GCM, bound to their
row, as members' names are), so the owning agency of an open, consented referral can read them
(``GET /v1/referrals/{id}/household``). Rows stored before have none: nothing can be recovered
from a hash. References of referrals already mirrored are computed as the router stores them.
"""

from alembic import op

from rujukan_contracts.references import referral_reference
from rujukan_platform import migrations

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.add_column("members", migrations.text("nik", nullable=True))
    op.add_column("households", migrations.text("kk_number", nullable=True))
    op.add_column("households", migrations.text("address", nullable=True))
    op.add_column("intakes", migrations.text("contact", nullable=True))
    op.add_column("intakes", migrations.text_array("missing_documents", nullable=True))
    op.add_column("intake_referrals", migrations.text("reference", nullable=True))
    _backfill_references()
    migrations.create_index(
        "intake_referrals", ["reference"], name="uq_intake_referrals_reference", unique=True
    )
    migrations.create_table(
        "intake_programs",
        migrations.text("code"),
        migrations.jsonb("name"),
        migrations.text_array("required_documents"),
        migrations.timestamp("published_at"),
        primary_key=["code"],
    )


def _backfill_references() -> None:
    migrations.fill_column(
        "intake_referrals",
        "reference",
        "SELECT r.referral_id AS id, i.village_code FROM intake_referrals r"
        " JOIN intakes i ON i.id = r.intake_id"
        " WHERE r.referral_id > :after ORDER BY r.referral_id LIMIT :chunk",
        lambda r: referral_reference(r.id, r.village_code),
        key="referral_id",
    )


def downgrade() -> None:
    op.drop_table("intake_programs")
    op.drop_index("uq_intake_referrals_reference", table_name="intake_referrals")
    op.drop_column("intake_referrals", "reference")
    op.drop_column("intakes", "missing_documents")
    op.drop_column("intakes", "contact")
    op.drop_column("households", "address")
    op.drop_column("households", "kk_number")
    op.drop_column("members", "nik")
