"""Route intakes: decide, store the decision, refer to each eligible program serving a need.

The intake consumer hands over a whole batch and everything is set-based: one statement stores
the intakes (and tells which are new), one reads the households' open referrals, then one
``COPY`` each writes the decisions, referrals and their history, and the unit of work stages
their events with one more — a handful of round trips per batch whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_platform.ids import new_id
from rujukan_router.adapters.events import decision_payload
from rujukan_router.adapters.referrals import ComplaintLink, ReferralRef
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import Decided, complaint_target, decide
from rujukan_router.service_layer.referrals import NewReferrals, referring
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork


@dataclass(slots=True)
class Routed:
    """What routing one intake did: its decision (None for an intake routed before) and the
    referrals it created."""

    intake: IntakeSubmittedV1
    decided: Decided | None
    referrals: list[ReferralRef] = field(default_factory=list)


async def route_intake(
    uow: RouterUnitOfWork,
    intake: IntakeSubmittedV1,
    catalogue: Catalogue,
    *,
    now: datetime | None = None,
) -> Routed:
    """One intake: the batch path with a batch of one, continuing the unit's trace."""
    (routed,) = await route_intakes(uow, [(intake, uow.trace)], catalogue, now=now)
    return routed


async def route_intakes(
    uow: RouterUnitOfWork,
    batch: Sequence[tuple[IntakeSubmittedV1, str | None]],
    catalogue: Catalogue,
    *,
    now: datetime | None = None,
    received: Sequence[bytes] | None = None,
) -> list[Routed]:
    """Decide every new intake of a batch (each with the traceparent its events continue),
    store each decision and create one referral per program chosen (eligible and serving a
    stated need, or proactive; see ``decide``). An intake already stored
    (republished under another event id) has no second effect. ``received``: the events as
    they arrived (stored as they are, rather than serialised again).

    Capacity: a full program either queues the referral (``when_full: queue``) or is skipped
    (``stop``, ``refer_onward``: the household's other eligible programs are referred anyway)."""
    now = now or datetime.now(UTC)
    intakes = [intake for intake, _trace in batch]
    events = (
        [value.decode() for value in received]
        if received is not None
        else [i.model_dump_json() for i in intakes]
    )
    fresh = await uow.intakes.add_new(intakes, events)
    links = await _links(uow, [i for i in intakes if i.intake_id in fresh])
    out: list[Routed] = []
    async with referring(
        uow,
        programs=catalogue.active(),
        households=(i.household_id for i in intakes),
        today=now.date(),
    ) as new:
        for intake, traceparent in batch:
            if intake.intake_id not in fresh:
                out.append(Routed(intake, None))
                continue
            fresh.discard(intake.intake_id)  # a second copy in this batch is routed once
            out.append(_route(new, intake, catalogue, now, traceparent, links))
    return out


def _route(
    new: NewReferrals,
    intake: IntakeSubmittedV1,
    catalogue: Catalogue,
    now: datetime,
    traceparent: str | None,
    links: Links,
) -> Routed:
    """Decide one intake and refer it to every eligible program serving its needs (and a
    complaint to the program it is about); its referrals count as open for the household's
    later intakes."""
    open_programs = new.open_programs(intake.household_id)
    decided = decide(
        intake,
        catalogue,
        open_programs=open_programs,
        as_of=now.date(),
        turns_away=new.turns_away,
    )
    decision_id = new_id()
    routed = Routed(intake, decided)
    for d in decided.chosen():
        referral = new.refer(intake, d, decided.facts, decision_id, now, traceparent=traceparent)
        if referral is not None:
            routed.referrals.append(referral)
    if intake.complaint is not None:
        complaint = _complaint_case(
            new, intake, catalogue, links, routed, decision_id, now, traceparent
        )
        if complaint is not None:
            routed.referrals.append(complaint)
    new.decision(intake, decided, cause="routing", at=now, decision_id=decision_id)
    return routed


def _complaint_case(
    new: NewReferrals,
    intake: IntakeSubmittedV1,
    catalogue: Catalogue,
    links: Links,
    routed: Routed,
    decision_id: UUID,
    now: datetime,
    traceparent: str | None,
) -> ReferralRef | None:
    """A complaint is a case of its own, to the program it is about whatever the household's
    eligibility (beside a need referral to it, made now or open before, which it is linked to)
    or else to the village's complaint desk."""
    said = intake.complaint
    assert said is not None
    named = links.named.get(said.about_referral) if said.about_referral else None
    if named is not None and named.household_id != intake.household_id:
        named = None  # another household's referral: not the resident's to name
    program = complaint_target(intake, catalogue, named.program_code if named else None)
    if program is None:
        return None
    link = said.about_referral if named is not None else None
    if link is None or (named is not None and named.program_code != program.code):
        link = next(
            (r.id for r in routed.referrals if r.program_code == program.code),
            links.open.get((intake.household_id, program.code)),
        )
    verdict = decision_payload(
        program_code=program.code,
        program_version=program.event.version,
        eligible=True,
        criteria=[],
        evaluated_at=now,
    )
    return new.add(
        intake,
        program,
        verdict,
        decision_id,
        now,
        kind="complaint",
        traceparent=traceparent,
        complaint=said.model_copy(update={"about_referral": link}),
    )


@dataclass(frozen=True, slots=True)
class Links:
    """For a batch's complaints: the need referrals they name, and the households' open need
    referrals by program (what a complaint case is linked to)."""

    named: dict[UUID, ComplaintLink] = field(default_factory=dict)
    open: dict[tuple[UUID, str], UUID] = field(default_factory=dict)


async def _links(uow: RouterUnitOfWork, intakes: Sequence[IntakeSubmittedV1]) -> Links:
    said = [(i.household_id, i.complaint) for i in intakes if i.complaint is not None]
    if not said:
        return Links()
    found = await uow.referrals.complaint_links(
        [household for household, _ in said],
        [c.about_referral for _, c in said if c.about_referral is not None],
    )
    return Links(
        named={r.id: r for r in found},
        open={(r.household_id, r.program_code): r.id for r in found if r.open},
    )
