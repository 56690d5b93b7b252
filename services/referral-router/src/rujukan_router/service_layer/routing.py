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

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_platform.ids import new_id
from rujukan_router.adapters.events import decision_payload
from rujukan_router.adapters.referrals import ReferralRef
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
            out.append(_route(new, intake, catalogue, now, traceparent))
    return out


def _route(
    new: NewReferrals,
    intake: IntakeSubmittedV1,
    catalogue: Catalogue,
    now: datetime,
    traceparent: str | None,
) -> Routed:
    """Decide one intake and refer it to every eligible program (and a complaint to the program
    it is about); its referrals count as open for the household's later intakes."""
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
    # a complaint reaches the program it is about, whatever its eligibility (unless referred
    # to it just now: then that referral carries it)
    program = complaint_target(intake, catalogue, open_programs)
    if program is not None:
        complaint = decision_payload(
            program_code=program.code,
            program_version=program.event.version,
            eligible=True,
            criteria=[],
            evaluated_at=now,
        )
        routed.referrals.append(
            new.add(
                intake,
                program,
                complaint,
                decision_id,
                now,
                kind="complaint",
                traceparent=traceparent,
            )
        )
    new.decision(intake, decided, cause="routing", at=now, decision_id=decision_id)
    return routed
