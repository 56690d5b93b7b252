"""``python -m rujukan_notifications serve|consume|relay|migrate|reseal``."""

from __future__ import annotations

from rujukan_notifications.adapters.contacts import SEALED
from rujukan_notifications.bootstrap import definition
from rujukan_notifications.settings import NotificationSettings
from rujukan_platform.resealing import add_reseal_command
from rujukan_platform.runtime import command_line

cli = command_line(definition)
add_reseal_command(cli, NotificationSettings, SEALED)  # residents' e-mails and phones

if __name__ == "__main__":
    cli()
