"""Wires the program registry: settings, tables, migrations, the intake-facts consumer, the
effective-date job and the routes."""

from __future__ import annotations

from rujukan_platform.runtime import ServiceDefinition, migrations_beside
from rujukan_registry.adapters.tables import metadata
from rujukan_registry.entrypoints import api
from rujukan_registry.entrypoints.consumers import consumers
from rujukan_registry.entrypoints.jobs import effective_dates
from rujukan_registry.service_layer.handlers import HANDLERS
from rujukan_registry.service_layer.unit_of_work import RegistryUnitOfWork
from rujukan_registry.settings import RegistrySettings

definition: ServiceDefinition[None] = ServiceDefinition(
    name="program-registry",
    title="Rujukan program registry",
    description="The program catalogue: owners, service areas, SLAs and eligibility rules.",
    settings_factory=RegistrySettings,
    metadata=metadata,
    migrations=migrations_beside(__file__),
    routers=[api.router],
    unit_of_work=RegistryUnitOfWork,
    handlers=lambda _rt: HANDLERS,
    consumers=consumers,
    background=lambda rt: [effective_dates(rt)],
)
