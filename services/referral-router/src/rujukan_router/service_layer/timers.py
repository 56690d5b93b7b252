"""SLA timers: fire every missed deadline once, whatever the number of router replicas.

Deadlines live in the ``referrals`` table (``due_at``), so they survive restarts; the job
claims due rows (skipping those another replica holds) and moves them in the same unit of work,
so two replicas never fire the same timer. ``now`` is a parameter: tests drive the clock.

Each escalation names who must act now and how to reach them, read from the program in the live
catalogue when it fires (a chain corrected since the referral was made applies at once), and the
owning agency's own audience, told of its late referral; so does the expiry, with the last level.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rujukan_contracts.events import EscalationAudience, ReferralStatus
from rujukan_router.adapters.referrals import HistoryRow, Step, StoredReferral
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.lifecycle import transition
from rujukan_router.domain.sla import LAST_LEVEL, Escalate, audience_at, on_missed_deadline
from rujukan_router.service_layer.referrals import move
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork

DEFAULT_GRACE = timedelta(days=2)
#: the history's note and the event's on an expiry, Indonesian first as officers read it
EXPIRED_NOTE = "Kedaluwarsa, tidak ada jawaban tepat waktu (expired: no answer in time)"


def escalated_note(level: int, role: str) -> str:
    """The note of an escalation to ``level`` (its ``role`` stays in the event's
    ``escalated_to``), Indonesian first as on a withdrawal."""
    return (
        f"Tenggat terlewat, dieskalasi ke tingkat {level} dari {LAST_LEVEL} "
        f"(escalated to {role}: deadline missed)"
    )


async def fire_due_timers(
    uow: RouterUnitOfWork,
    now: datetime,
    catalogue: Catalogue,
    *,
    grace: timedelta = DEFAULT_GRACE,
    limit: int = 200,
) -> int:
    """Escalate or expire up to ``limit`` referrals past their deadline, raising their status
    events. Returns how many fired."""
    due = await uow.referrals.due(now, limit)
    history: list[HistoryRow] = []
    chains: dict[str, list[EscalationAudience]] = {}
    for row in due:
        if row.program_code not in chains:
            chains[row.program_code] = await _chain(uow, catalogue, row.program_code)
        history.append(await _fire(uow, row, now, grace, chains[row.program_code]))
    await uow.referrals.add_history(history)
    return len(due)


async def _chain(
    uow: RouterUnitOfWork, catalogue: Catalogue, program_code: str
) -> list[EscalationAudience]:
    """A program's escalation chain: the live catalogue's, else the newest stored here (a
    program retired since)."""
    live = catalogue.get(program_code)
    event = live.event if live is not None else await uow.programs.get(program_code)
    return list(event.escalation) if event is not None else []


async def _fire(
    uow: RouterUnitOfWork,
    row: StoredReferral,
    now: datetime,
    grace: timedelta,
    chain: list[EscalationAudience],
) -> HistoryRow:
    """Move one referral past its missed deadline and raise its status event; returns the
    history row that records it."""
    status = ReferralStatus(row.status)
    step = on_missed_deadline(row.escalation_level, now, grace)
    where = {"program_code": row.program_code, "village_code": row.village_code}
    agency = audience_at(0, chain, **where)
    if isinstance(step, Escalate):  # the same step, one level up the chain
        moved = Step(status.value, row.reason_code, step.due_at, step.level)
        note, escalated_to = escalated_note(step.level, step.to), step.to
        audience = audience_at(step.level, chain, **where)
    else:
        expired = transition(status, ReferralStatus.expired, kind=row.kind)
        moved = Step(expired.value, row.reason_code, None, row.escalation_level)
        note, escalated_to = EXPIRED_NOTE, None
        audience = audience_at(LAST_LEVEL, chain, **where)
    fired = await move(
        uow,
        row,
        moved,
        now,
        note=note,
        actor="sla-timer",
        escalated_to=escalated_to,
        escalated=escalated_to is not None,
        audience=audience,
        agency_audience=agency,
    )
    uow.add_records([fired.event])
    return fired.history
