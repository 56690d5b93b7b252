"""SLA deadlines per step, and the escalation chain when one is missed.

Each open referral has one deadline: the step it waits on (``receive`` from creation,
``decide`` once received, ``serve`` once accepted), counted in the program's SLA days — fewer
for a household in a priority lane the program sets faster steps for, and in working days unless
the program counts calendar days. A missed deadline escalates one level — facilitator →
supervisor (sub-district) → manager (district) → head of office — each with a grace period;
missing the last one expires the referral.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rujukan_contracts.events import ReferralStatus, SlaDays, SlaStep
from rujukan_regions import WIB, time_zone
from rujukan_router.domain.workdays import add_working_days

S = ReferralStatus

ESCALATION_CHAIN = ("facilitator", "supervisor", "manager", "head_of_office")
LAST_LEVEL = len(ESCALATION_CHAIN) - 1

#: the step an open referral waits on; a closed referral has none
STEP_OF: dict[ReferralStatus, SlaStep] = {
    S.created: "receive",
    S.delivered: "receive",
    S.received: "decide",
    S.accepted: "serve",
    S.in_service: "serve",
}


def step_deadline(
    status: ReferralStatus,
    sla: SlaDays,
    since: datetime,
    *,
    lanes: Iterable[str] = (),
    village_code: str | None = None,
) -> datetime | None:
    """When the step this status waits on is due for a household in ``lanes`` living in
    ``village_code`` (its time zone counts the days); None for a closed referral."""
    step = STEP_OF.get(status)
    if step is None:
        return None
    days = sla.days(step, lanes)
    if not sla.working_days:
        return since + timedelta(days=days)
    zone = time_zone(village_code) if village_code else WIB
    return add_working_days(since, days, zone, sla.closed_dates)


@dataclass(frozen=True, slots=True)
class Escalate:
    level: int
    to: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Expire:
    pass


def on_missed_deadline(level: int, now: datetime, grace: timedelta) -> Escalate | Expire:
    """What a missed deadline at ``level`` leads to."""
    if level >= LAST_LEVEL:
        return Expire()
    return Escalate(level + 1, ESCALATION_CHAIN[level + 1], now + grace)
