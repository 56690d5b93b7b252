"""Wires intake together: settings, tables, migrations, handlers, consumers and routes."""

from __future__ import annotations

from pathlib import Path

from rujukan_intake.adapters.tables import metadata
from rujukan_intake.entrypoints import api
from rujukan_intake.entrypoints.consumers import consumers, handlers
from rujukan_intake.settings import IntakeSettings
from rujukan_platform.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

definition: ServiceDefinition[None] = ServiceDefinition(
    name="intake",
    title="Rujukan intake",
    description="Households, needs, complaints, consent and the social-registry check.",
    settings_factory=IntakeSettings,
    metadata=metadata,
    migrations=MIGRATIONS,
    routers=[api.router],
    handlers=handlers,
    consumers=consumers,
)
