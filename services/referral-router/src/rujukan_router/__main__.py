"""``python -m rujukan_router serve|consume|relay|migrate``."""

from __future__ import annotations

from rujukan_platform.runtime import command_line
from rujukan_router.bootstrap import definition

cli = command_line(definition)

if __name__ == "__main__":
    cli()
