"""Wires the program registry: settings, tables, migrations, the intake-facts consumer, the
effective-date job and the HTTP app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from rujukan_platform.http import create_app
from rujukan_platform.runtime import Runtime, ServiceDefinition
from rujukan_registry.adapters.tables import metadata
from rujukan_registry.entrypoints import api
from rujukan_registry.entrypoints.consumers import consumers
from rujukan_registry.entrypoints.jobs import effective_dates
from rujukan_registry.settings import RegistrySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build_app(runtime: Runtime) -> FastAPI:
    return create_app(
        settings=runtime.settings,
        title="Rujukan program registry",
        description="The program catalogue: owners, service areas, SLAs and eligibility rules.",
        routers=[api.router(runtime)],
        lifespan=runtime.lifespan,
        readiness=runtime.readiness,
    )


definition = ServiceDefinition(
    name="program-registry",
    settings_factory=RegistrySettings,
    metadata=metadata,
    migrations=MIGRATIONS,
    consumers=consumers,
    app=build_app,
    background=lambda rt: [effective_dates(rt)],
)
