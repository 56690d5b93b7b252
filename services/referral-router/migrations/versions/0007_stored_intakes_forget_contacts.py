"""stored intakes forget residents' contacts: they now travel to notifications alone

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Events stored while intake.submitted still carried the contact (the router never used it).
    op.execute(
        "UPDATE intakes SET event = (event::jsonb - 'contact')::json"
        " WHERE (event::jsonb) ? 'contact'"
    )


def downgrade() -> None:
    pass  # what was forgotten stays forgotten
