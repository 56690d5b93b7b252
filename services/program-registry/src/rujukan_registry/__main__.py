"""``python -m rujukan_registry serve|relay|migrate|seed``."""

from __future__ import annotations

import asyncio

from rujukan_platform.db import make_engine, make_sessions
from rujukan_platform.runtime import command_line
from rujukan_registry.bootstrap import definition
from rujukan_registry.domain.commands import SeedCatalogue
from rujukan_registry.service_layer.handlers import seed_catalogue
from rujukan_registry.service_layer.unit_of_work import RegistryUnitOfWork
from rujukan_registry.settings import RegistrySettings

cli = command_line(definition)


@cli.command()
def seed() -> None:
    """Load the seed catalogue idempotently; changed programs are republished."""
    settings = RegistrySettings()

    async def run() -> dict[str, str]:
        engine = make_engine(settings.dsn)
        try:
            async with RegistryUnitOfWork(make_sessions(engine)) as uow:
                results = await seed_catalogue(SeedCatalogue(settings.seed_dir), uow)
                await uow.commit()
                return results
        finally:
            await engine.dispose()

    for code, result in sorted(asyncio.run(run()).items()):
        print(f"catalogue: {code:10} {result}")


if __name__ == "__main__":
    cli()
