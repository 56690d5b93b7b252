"""residents' contacts sealed at rest: each e-mail and phone kept so far is sealed

The keys come from notifications' settings in the environment, as the service reads them
(``RUJUKAN_NOTIFICATIONS_DATA_KEYS``, ``RUJUKAN_NOTIFICATIONS_DATA_KEY_ID``; production refuses
the development key): run ``python -m rujukan_notifications migrate`` with the service's
environment. A database with no contact yet needs no key. The downgrade opens them again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from rujukan_notifications.adapters.contacts import SEALED, TABLE
from rujukan_notifications.settings import NotificationSettings
from rujukan_platform.resealing import Change, rewrite
from rujukan_platform.sealing import Sealer

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rewrite(change: Callable[[Sealer], Change]) -> None:
    connection = op.get_bind()
    if connection.scalar(sa.text(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")):
        sealer = NotificationSettings().sealer
        for table, key, column in SEALED:
            rewrite(connection, table, key, column, change(sealer))


def upgrade() -> None:
    _rewrite(lambda sealer: sealer.seal_plain)


def downgrade() -> None:
    _rewrite(lambda sealer: sealer.unseal)
