"""Wires intake together: settings, tables, migrations, consumers and the HTTP app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from rujukan_intake.adapters.tables import metadata
from rujukan_intake.entrypoints import api
from rujukan_intake.entrypoints.consumers import consumers
from rujukan_intake.settings import IntakeSettings
from rujukan_platform.http import create_app
from rujukan_platform.runtime import Runtime, ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build_app(runtime: Runtime) -> FastAPI:
    return create_app(
        settings=runtime.settings,
        title="Rujukan intake",
        description="Households, needs, complaints, consent and the social-registry check.",
        routers=[api.router(runtime)],
        lifespan=runtime.lifespan,
        readiness=runtime.readiness,
    )


definition = ServiceDefinition(
    name="intake",
    settings_factory=IntakeSettings,
    metadata=metadata,
    migrations=MIGRATIONS,
    consumers=consumers,
    app=build_app,
)
