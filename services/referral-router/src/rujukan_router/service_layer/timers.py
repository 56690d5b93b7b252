"""SLA timers: fire every missed deadline once, whatever the number of router replicas.

Deadlines live in the ``referrals`` table (``due_at``), so they survive restarts; the job
claims due rows (skipping those another replica holds) and moves them in the same unit of work,
so two replicas never fire the same timer. ``now`` is a parameter: tests drive the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rujukan_contracts.events import ReferralStatus
from rujukan_router.adapters.events import status_record
from rujukan_router.adapters.referrals import HistoryRow, Step, StoredReferral
from rujukan_router.domain.lifecycle import transition
from rujukan_router.domain.sla import Escalate, on_missed_deadline
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork

DEFAULT_GRACE = timedelta(days=2)


async def fire_due_timers(
    uow: RouterUnitOfWork, now: datetime, *, grace: timedelta = DEFAULT_GRACE, limit: int = 200
) -> int:
    """Escalate or expire up to ``limit`` referrals past their deadline, raising their status
    events. Returns how many fired."""
    due = await uow.referrals.due(now, limit)
    history: list[HistoryRow] = []
    for row in due:
        history.append(await _fire(uow, row, now, grace))
    await uow.referrals.add_history(history)
    return len(due)


async def _fire(
    uow: RouterUnitOfWork, row: StoredReferral, now: datetime, grace: timedelta
) -> HistoryRow:
    """Move one referral past its missed deadline and raise its status event; returns the
    history row that records it."""
    status = ReferralStatus(row.status)
    step = on_missed_deadline(row.escalation_level, now, grace)
    if isinstance(step, Escalate):  # the same step, one level up the chain
        to = status
        moved = Step(status.value, row.reason_code, step.due_at, step.level)
        note, escalated_to = f"escalated to {step.to}: deadline missed", step.to
    else:
        to = transition(status, ReferralStatus.expired)
        moved = Step(to.value, row.reason_code, None, row.escalation_level)
        note, escalated_to = "expired: no answer in time", None
    updated = await uow.referrals.change(row.id, moved, now)
    uow.add_records(
        [
            status_record(
                updated,
                to_status=to.value,
                from_status=status.value,
                at=now,
                note=note,
                escalated_to=escalated_to,
            )
        ]
    )
    return HistoryRow(row.id, status.value, to.value, note, "sla-timer", now)
