"""members' names sealed at rest: each name stored so far is sealed under the current data key

The keys come from intake's settings in the environment, as the service reads them
(``RUJUKAN_INTAKE_DATA_KEYS``, ``RUJUKAN_INTAKE_DATA_KEY_ID``; production refuses the
development key): run ``python -m rujukan_intake migrate`` with the service's environment. A
database with no member yet needs no key. The downgrade opens the names again (same keys).
"""

from rujukan_intake.adapters.names import COLUMN, KEY, TABLE
from rujukan_intake.settings import IntakeSettings
from rujukan_platform import migrations

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    migrations.seal_stored(IntakeSettings, [(TABLE, KEY, COLUMN)])


def downgrade() -> None:
    migrations.unseal_stored(IntakeSettings, [(TABLE, KEY, COLUMN)])
