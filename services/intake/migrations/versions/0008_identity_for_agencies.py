"""what an agency needs to find the family: NIK, KK number, address and contact sealed at rest,
the documents the household lacks, the referrals' short references and the programs' documents

NIK and KK were kept only as keyed hashes; they are now also sealed (AES-GCM, bound to their
row, as members' names are), so the owning agency of an open, consented referral can read them
(``GET /v1/referrals/{id}/household``). Rows stored before have none: nothing can be recovered
from a hash. References of referrals already mirrored are computed as the router stores them.
"""

from uuid import UUID

import sqlalchemy as sa
from alembic import op

from rujukan_contracts.references import referral_reference
from rujukan_platform import migrations

revision = "0008"
down_revision = "0007"

CHUNK = 10_000


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
    connection = op.get_bind()
    after = UUID(int=0)
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT r.referral_id, i.village_code FROM intake_referrals r"
                " JOIN intakes i ON i.id = r.intake_id"
                " WHERE r.referral_id > :after ORDER BY r.referral_id LIMIT :chunk"
            ),
            {"after": after, "chunk": CHUNK},
        ).all()
        if not rows:
            return
        connection.execute(
            sa.text(
                "UPDATE intake_referrals SET reference = u.reference"
                " FROM unnest(CAST(:ids AS uuid[]), CAST(:refs AS text[])) AS u(id, reference)"
                " WHERE intake_referrals.referral_id = u.id"
            ),
            {
                "ids": [r.referral_id for r in rows],
                "refs": [referral_reference(r.referral_id, r.village_code) for r in rows],
            },
        )
        after = rows[-1].referral_id


def downgrade() -> None:
    op.drop_table("intake_programs")
    op.drop_index("uq_intake_referrals_reference", table_name="intake_referrals")
    op.drop_column("intake_referrals", "reference")
    op.drop_column("intakes", "missing_documents")
    op.drop_column("intakes", "contact")
    op.drop_column("households", "address")
    op.drop_column("households", "kk_number")
    op.drop_column("members", "nik")
