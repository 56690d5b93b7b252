"""The registry's unit of work: its repositories on one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_platform.uow import UnitOfWork
from rujukan_registry.adapters.repository import IntakeFactsRepository, ProgramRepository


class RegistryUnitOfWork(UnitOfWork):
    programs: ProgramRepository
    intake_facts: IntakeFactsRepository

    def _open(self, session: AsyncSession) -> None:
        self.programs = ProgramRepository(session)
        self.intake_facts = IntakeFactsRepository(session)
