"""SLA deadlines per step, and the escalation chain when one is missed.

Each open referral has one deadline: the step it waits on (``receive`` from creation,
``decide`` once received, ``serve`` once accepted), counted in the program's SLA days — fewer
for a household in a priority lane the program sets faster steps for, and in working days unless
the program counts calendar days. Every step waits on the agency that owns the referral, so a
missed deadline climbs the agency's own chain, one level at a time — agency officer (the normal
deadline) → agency supervisor → program manager → head of the regency's social affairs office
(Kepala Dinas Sosial) — each with a grace period; missing the last one expires the referral.
Each level is an audience the program's catalogue entry names (``escalation``); a level it
leaves out is the regency's Dinas Sosial inbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rujukan_contracts.events import (
    ESCALATION_CHAIN,
    EscalationAudience,
    ReferralStatus,
    SlaDays,
    SlaStep,
)
from rujukan_regions import WIB, regions, time_zone
from rujukan_router.domain.workdays import add_working_days

S = ReferralStatus

LAST_LEVEL = len(ESCALATION_CHAIN) - 1

#: the step an open referral waits on; a closed referral has none
STEP_OF: dict[ReferralStatus, SlaStep] = {
    S.created: "receive",
    S.delivered: "receive",
    S.received: "decide",
    S.accepted: "serve",
    S.in_service: "serve",
    # a complaint case: received, then answered within the 'decide' days; an answer waits on
    # nobody (the agency closes it, or takes it up again)
    S.in_progress: "decide",
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


def audience_at(
    level: int, chain: Sequence[EscalationAudience], *, program_code: str, village_code: str
) -> EscalationAudience:
    """Who hears at ``level`` of a program's ``chain`` (its catalogue entry's ``escalation``)
    for a referral in ``village_code``, placeholders filled in. A level the chain leaves out:
    the agency's own regency inbox for its officer, else the regency's Dinas Sosial inbox."""
    role = ESCALATION_CHAIN[min(level, LAST_LEVEL)]
    regency = ".".join(village_code.split(".")[:2])
    configured = next((a for a in chain if a.role == role), None)
    if configured is not None:
        province = village_code.split(".")[0]
        address = configured.address.replace("{regency}", regency)
        return configured.model_copy(update={"address": address.replace("{province}", province)})
    if role == "agency_officer":
        return EscalationAudience(
            role=role, channel="inbox", address=f"agency:{program_code}:{regency}"
        )
    name = regions().name(regency) or f"kabupaten/kota {regency}"
    return EscalationAudience(
        role=role, channel="inbox", address=f"dinsos:{regency}", office=f"Dinas Sosial {name}"
    )
