"""Wires intake together: settings, tables, migrations, its unit of work and state, the handler
table, the consumer, the catalogue job and the routes."""

from __future__ import annotations

from rujukan_intake.adapters.tables import metadata
from rujukan_intake.entrypoints import api, consent
from rujukan_intake.entrypoints.consumers import consumers
from rujukan_intake.entrypoints.jobs import jobs
from rujukan_intake.service_layer.handlers import handlers
from rujukan_intake.service_layer.state import IntakeState
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_intake.settings import IntakeSettings
from rujukan_platform.runtime import ServiceDefinition, migrations_beside

definition: ServiceDefinition[IntakeState] = ServiceDefinition(
    name="intake",
    title="Rujukan intake",
    description="Households, needs, complaints, consent and the social-registry check.",
    settings_factory=IntakeSettings,
    metadata=metadata,
    migrations=migrations_beside(__file__),
    routers=[api.router, consent.router],
    unit_of_work=IntakeUnitOfWork,
    dependencies=IntakeState.of,
    handlers=lambda runtime: handlers(runtime.deps),
    consumers=consumers,
    background=jobs,
)
