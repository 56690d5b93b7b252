"""every referral gets its short reference (RJK-3304-7F3K2Q), unique, existing ones backfilled

The reference is computed from the referral's id and village (``rujukan_contracts.references``),
so the backfill computes it in Python, a chunk of rows at a time. Two existing referrals with
the same reference (about one pair in a regency with tens of thousands of referrals) stop the
migration with a message naming them: the unique index is what keeps references unshared.
"""

import sqlalchemy as sa
from alembic import op

from rujukan_contracts.references import referral_reference
from rujukan_platform import migrations

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.add_column("referrals", migrations.text("reference", nullable=True))
    migrations.fill_column(
        "referrals",
        "reference",
        "SELECT id, village_code FROM referrals WHERE id > :after ORDER BY id LIMIT :chunk",
        lambda r: referral_reference(r.id, r.village_code),
    )
    connection = op.get_bind()
    shared = connection.execute(
        sa.text(
            "SELECT reference, string_agg(id::text, ', ') AS ids FROM referrals"
            " GROUP BY reference HAVING count(*) > 1 LIMIT 10"
        )
    ).all()
    if shared:
        raise RuntimeError(
            "referrals share a reference; give one of each pair another id, then migrate: "
            + "; ".join(f"{r.reference}: {r.ids}" for r in shared)
        )
    op.alter_column("referrals", "reference", nullable=False)
    migrations.create_index("referrals", ["reference"], name="uq_referrals_reference", unique=True)


def downgrade() -> None:
    op.drop_index("uq_referrals_reference", table_name="referrals")
    op.drop_column("referrals", "reference")
