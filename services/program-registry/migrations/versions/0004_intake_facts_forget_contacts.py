"""intake facts forget residents' contacts: they now travel to notifications alone

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Facts kept while intake.submitted still carried the contact (explain never used it).
    op.execute("UPDATE intake_facts SET event = event - 'contact' WHERE event ? 'contact'")


def downgrade() -> None:
    pass  # what was forgotten stays forgotten
