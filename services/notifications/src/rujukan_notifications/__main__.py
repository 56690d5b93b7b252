"""``python -m rujukan_notifications serve|consume|relay|migrate``."""

from __future__ import annotations

from rujukan_notifications.bootstrap import definition
from rujukan_platform.runtime import command_line

cli = command_line(definition)

if __name__ == "__main__":
    cli()
