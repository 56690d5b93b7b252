"""Intake's unit of work: its repositories on one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_intake.adapters.registry import RegistryTable
from rujukan_intake.adapters.repository import (
    HouseholdRepository,
    IdempotencyKeys,
    IdentityReadLog,
    IntakeRepository,
    ReferralStatuses,
)
from rujukan_platform.uow import UnitOfWork


class IntakeUnitOfWork(UnitOfWork):
    households: HouseholdRepository
    intakes: IntakeRepository
    idempotency_keys: IdempotencyKeys
    identity_reads: IdentityReadLog
    referrals: ReferralStatuses
    registry: RegistryTable

    def _open(self, session: AsyncSession) -> None:
        self.households = HouseholdRepository(session)
        self.intakes = IntakeRepository(session)
        self.idempotency_keys = IdempotencyKeys(session)
        self.identity_reads = IdentityReadLog(session)
        self.referrals = ReferralStatuses(session)
        self.registry = RegistryTable(session)
