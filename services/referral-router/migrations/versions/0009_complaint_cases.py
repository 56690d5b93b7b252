"""complaint cases: the resident's words beside the referral, their own open statuses

A complaint (pengaduan) is a referral of kind 'complaint' with a row in ``complaints`` (its
category, text and what it is about). A complaint case ends 'closed' as well, so the stored
``open`` flag is computed again; the one-open-referral-per-program rule holds for needs only (a
household may complain about a program it has an open referral to).
"""

import sqlalchemy as sa
from alembic import op

from rujukan_platform import migrations

revision = "0009"
down_revision = "0008"

BEFORE = "('completed', 'rejected', 'expired', 'withdrawn')"
AFTER = "('closed', 'completed', 'expired', 'rejected', 'withdrawn')"


def _open_flag(terminal: str, where: str) -> None:
    """Compute ``open`` from ``terminal`` statuses and rebuild the rule that reads it (a
    generated column cannot change its expression in place before PostgreSQL 17)."""
    op.drop_index("uq_referrals_open_household_program", table_name="referrals")
    op.drop_column("referrals", "open")
    op.add_column(
        "referrals",
        migrations.boolean(
            "open", sa.Computed(f"status NOT IN {terminal}", persisted=True), nullable=True
        ),
    )
    migrations.create_index(
        "referrals",
        ["household_id", "program_code"],
        name="uq_referrals_open_household_program",
        unique=True,
        where=where,
    )


def upgrade() -> None:
    migrations.create_table(
        "complaints",
        migrations.uuid("referral_id"),
        migrations.text("kind"),
        migrations.text("category"),
        migrations.text("text"),
        migrations.text("about_program", nullable=True),
        migrations.uuid("about_referral", nullable=True),
        primary_key=["referral_id"],
    )
    _open_flag(AFTER, "open AND kind = 'need'")


def downgrade() -> None:
    # complaint cases closed since stay closed: their status is not a referral's
    _open_flag(BEFORE, "open")
    op.drop_table("complaints")
