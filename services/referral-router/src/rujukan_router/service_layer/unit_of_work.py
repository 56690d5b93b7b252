"""The router's unit of work: one transaction with the router's repositories on it."""

from __future__ import annotations

from rujukan_platform.uow import UnitOfWork
from rujukan_router.adapters.intakes import IntakeRepository
from rujukan_router.adapters.programs import ProgramRepository
from rujukan_router.adapters.referrals import ReferralRepository
from rujukan_router.adapters.replays import ReplayRepository


class RouterUnitOfWork(UnitOfWork):
    """Handlers change the router's state only through these repositories, and raise events
    with ``publish`` or ``add_records``; the unit stages and counts them when it commits."""

    referrals: ReferralRepository
    intakes: IntakeRepository
    programs: ProgramRepository
    replays: ReplayRepository

    @property
    def trace(self) -> str | None:
        """The trace this unit's events continue: the message being handled, or the request."""
        return self.cause.traceparent if self.cause is not None else self.traceparent
