"""Intake's unit of work: its repositories on one transaction."""

from __future__ import annotations

from rujukan_intake.adapters.consent import ConsentRecords
from rujukan_intake.adapters.registry import RegistryTable
from rujukan_intake.adapters.repository import (
    HouseholdRepository,
    IdempotencyKeys,
    IdentityReadLog,
    IntakeRepository,
    KnownPrograms,
    ReferralStatuses,
)
from rujukan_platform.uow import UnitOfWork


class IntakeUnitOfWork(UnitOfWork):
    households: HouseholdRepository
    intakes: IntakeRepository
    idempotency_keys: IdempotencyKeys
    identity_reads: IdentityReadLog
    referrals: ReferralStatuses
    programs: KnownPrograms
    registry: RegistryTable
    consent: ConsentRecords
