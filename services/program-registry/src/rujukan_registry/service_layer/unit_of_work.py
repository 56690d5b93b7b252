"""The registry's unit of work: its repositories on one transaction."""

from __future__ import annotations

from rujukan_platform.uow import UnitOfWork
from rujukan_registry.adapters.repository import IntakeFactsRepository, ProgramRepository


class RegistryUnitOfWork(UnitOfWork):
    programs: ProgramRepository
    intake_facts: IntakeFactsRepository
