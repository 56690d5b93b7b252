"""intake facts forget residents' contacts: they now travel to notifications alone"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # Facts kept while intake.submitted still carried the contact (explain never used it).
    op.execute("UPDATE intake_facts SET event = event - 'contact' WHERE event ? 'contact'")


def downgrade() -> None:
    pass  # what was forgotten stays forgotten
