"""SLA deadlines per step, and the escalation chain when one is missed.

Each open referral has one deadline: the step it waits on (``receive`` from creation,
``decide`` once received, ``serve`` once accepted), counted in the program's SLA days. A missed
deadline escalates one level — facilitator → supervisor (sub-district) → manager (district) →
head of office — each with a grace period; missing the last one expires the referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rujukan_contracts.events import ReferralStatus, SlaDays

S = ReferralStatus

ESCALATION_CHAIN = ("facilitator", "supervisor", "manager", "head_of_office")
LAST_LEVEL = len(ESCALATION_CHAIN) - 1


def step_deadline(status: ReferralStatus, sla: SlaDays, since: datetime) -> datetime | None:
    """When the step this status waits on is due; None for a closed referral."""
    days = {
        S.created: sla.receive,
        S.delivered: sla.receive,
        S.received: sla.decide,
        S.accepted: sla.serve,
        S.in_service: sla.serve,
    }.get(status)
    return None if days is None else since + timedelta(days=days)


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
