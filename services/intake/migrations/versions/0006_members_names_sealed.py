"""members' names sealed at rest: each name stored so far is sealed under the current data key

The keys come from intake's settings in the environment, as the service reads them
(``RUJUKAN_INTAKE_DATA_KEYS``, ``RUJUKAN_INTAKE_DATA_KEY_ID``; production refuses the
development key): run ``python -m rujukan_intake migrate`` with the service's environment. A
database with no member yet needs no key. The downgrade opens the names again (same keys).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from rujukan_intake.adapters.names import COLUMN, KEY, TABLE
from rujukan_intake.settings import IntakeSettings
from rujukan_platform.resealing import Change, rewrite
from rujukan_platform.sealing import Sealer

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rewrite(change: Callable[[Sealer], Change]) -> None:
    connection = op.get_bind()
    if connection.scalar(sa.text(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")):
        rewrite(connection, TABLE, KEY, COLUMN, change(IntakeSettings().sealer))


def upgrade() -> None:
    _rewrite(lambda sealer: sealer.seal_plain)


def downgrade() -> None:
    _rewrite(lambda sealer: sealer.unseal)
