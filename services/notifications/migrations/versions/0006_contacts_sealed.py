"""residents' contacts sealed at rest: each e-mail and phone kept so far is sealed

The keys come from notifications' settings in the environment, as the service reads them
(``RUJUKAN_NOTIFICATIONS_DATA_KEYS``, ``RUJUKAN_NOTIFICATIONS_DATA_KEY_ID``; production refuses
the development key): run ``python -m rujukan_notifications migrate`` with the service's
environment. A database with no contact yet needs no key. The downgrade opens them again.
"""

from rujukan_notifications.adapters.contacts import SEALED
from rujukan_notifications.settings import NotificationSettings
from rujukan_platform import migrations

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    migrations.seal_stored(NotificationSettings, SEALED)


def downgrade() -> None:
    migrations.unseal_stored(NotificationSettings, SEALED)
