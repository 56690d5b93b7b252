"""SLA timers: fire every missed deadline once, whatever the number of router replicas.

Deadlines live in the ``referrals`` table (``due_at``), so they survive restarts; the job
claims due rows with ``FOR UPDATE SKIP LOCKED`` and moves them in the same transaction, so
two replicas never fire the same timer. ``now`` is a parameter: tests drive the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import ReferralStatus
from rujukan_platform.outbox import OutboxRecord, stage_records
from rujukan_router.adapters.events import status_record
from rujukan_router.adapters.tables import referral_history, referrals
from rujukan_router.domain.sla import Escalate, on_missed_deadline

DEFAULT_GRACE = timedelta(days=2)


async def fire_due_timers(
    session: AsyncSession, now: datetime, *, grace: timedelta = DEFAULT_GRACE, limit: int = 200
) -> int:
    """Escalate or expire up to ``limit`` referrals past their deadline; their status events
    are staged in the session's transaction. Returns how many fired."""
    due = (
        await session.execute(
            select(referrals)
            .where(referrals.c.due_at <= now, referrals.c.open)
            .order_by(referrals.c.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    events: list[OutboxRecord] = []
    for row in due:
        status = ReferralStatus(row.status)
        step = on_missed_deadline(row.escalation_level, now, grace)
        if isinstance(step, Escalate):
            values = {"escalation_level": step.level, "due_at": step.due_at, "updated_at": now}
            to, note, escalated_to = status, f"escalated to {step.to}: deadline missed", step.to
        else:
            values = {"status": ReferralStatus.expired.value, "due_at": None, "updated_at": now}
            to, note, escalated_to = ReferralStatus.expired, "expired: no answer in time", None
        updated = (
            await session.execute(
                referrals.update()
                .where(referrals.c.id == row.id)
                .values(**values)
                .returning(referrals)
            )
        ).one()
        await session.execute(
            referral_history.insert().values(
                referral_id=row.id,
                from_status=status.value,
                to_status=to.value,
                note=note,
                actor="sla-timer",
                at=now,
            )
        )
        events.append(
            status_record(
                updated._mapping,
                to_status=to.value,
                from_status=status.value,
                at=now,
                note=note,
                escalated_to=escalated_to,
            )
        )
    await stage_records(session, events)
    return len(events)
