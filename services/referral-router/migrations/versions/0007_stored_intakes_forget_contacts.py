"""stored intakes forget residents' contacts: they now travel to notifications alone"""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    # Events stored while intake.submitted still carried the contact (the router never used it).
    op.execute(
        "UPDATE intakes SET event = (event::jsonb - 'contact')::json"
        " WHERE (event::jsonb) ? 'contact'"
    )


def downgrade() -> None:
    pass  # what was forgotten stays forgotten
