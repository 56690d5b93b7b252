"""``python -m rujukan_intake serve|consume|relay|migrate|load-registry``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rujukan_intake.adapters.registry import load_registry, read_registry_csv
from rujukan_intake.bootstrap import definition
from rujukan_intake.domain.identity import keyed_hash
from rujukan_intake.settings import IntakeSettings
from rujukan_platform.db import make_engine, make_sessions
from rujukan_platform.runtime import command_line

cli = command_line(definition)


@cli.command("load-registry")
def load_registry_command(csv_path: Path) -> None:
    """Load (upsert) the local social-registry table from a CSV: kk,decile,enrolments,has_kks."""
    settings = IntakeSettings()
    key = settings.pii_key.get_secret_value()
    rows = read_registry_csv(csv_path, lambda kk: keyed_hash(key, kk))

    async def run() -> int:
        engine = make_engine(settings.dsn)
        try:
            async with make_sessions(engine)() as session, session.begin():
                return await load_registry(session, rows)
        finally:
            await engine.dispose()

    print(f"registry: {asyncio.run(run())} households loaded from {csv_path.name}")


if __name__ == "__main__":
    cli()
