"""a silence names what silenced the household

``silenced_households.withdrawal_id`` and ``withdrawn_at`` also held the intake (and its time)
of a visit whose resident gave no consent, not only a withdrawal: the columns are named for
both, ``silenced_by`` and ``silenced_at``. A rename: no row is rewritten.
"""

from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.alter_column("silenced_households", "withdrawal_id", new_column_name="silenced_by")
    op.alter_column("silenced_households", "withdrawn_at", new_column_name="silenced_at")


def downgrade() -> None:
    op.alter_column("silenced_households", "silenced_at", new_column_name="withdrawn_at")
    op.alter_column("silenced_households", "silenced_by", new_column_name="withdrawal_id")
