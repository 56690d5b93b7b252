"""Replay and what-if: re-evaluate stored intakes after a rule or the registry changed.

A dry run reports who gains and who loses eligibility (per program) compared with the decisions
stored when each intake was routed; applying it refers the households that gained (where no
referral is open and consent allows) and records the new decisions — only the differences are
emitted. A what-if with a draft rule can only be a dry run: publish the rule to apply it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import IntakeSubmittedV1, RegistryFacts
from rujukan_router.adapters.tables import intakes
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import decide
from rujukan_router.service_layer.referrals import (
    CapacityLedger,
    NewReferrals,
    explained,
    open_programs_of,
)


@dataclass
class ReplayReport:
    intakes_evaluated: int = 0
    gains: dict[str, int] = field(default_factory=dict)
    losses: dict[str, int] = field(default_factory=dict)
    sample_gains: list[dict[str, str]] = field(default_factory=list)
    sample_losses: list[dict[str, str]] = field(default_factory=list)
    referrals_created: int = 0
    applied: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "intakes_evaluated": self.intakes_evaluated,
            "gains": self.gains,
            "losses": self.losses,
            "sample_gains": self.sample_gains,
            "sample_losses": self.sample_losses,
            "referrals_created": self.referrals_created,
            "applied": self.applied,
        }


async def replay(
    session: AsyncSession,
    catalogue: Catalogue,
    *,
    now: datetime,
    programs: set[str] | None = None,
    registry_updates: dict[UUID, RegistryFacts] | None = None,
    since: datetime | None = None,
    apply: bool = False,
    sample: int = 50,
) -> ReplayReport:
    """Compare each household's latest intake, evaluated now, with its latest stored decision.
    Applying stores the new evaluation of every intake that changed (cause 'replay') and refers
    the gains, their events staged in the session's transaction."""
    updates = registry_updates or {}
    report = ReplayReport(applied=apply)
    # the latest intake of each household, with the latest decision stored for it
    latest = text(
        "SELECT DISTINCT ON (i.household_id) i.intake_id, i.household_id, i.event,"
        " (SELECT d.programs FROM decisions d WHERE d.intake_id = i.intake_id"
        "  ORDER BY d.evaluated_at DESC LIMIT 1) AS programs"
        " FROM intakes i WHERE i.submitted_at >= :since"
        " ORDER BY i.household_id, i.submitted_at DESC"
    )
    rows = await session.stream(latest, {"since": since or datetime(1970, 1, 1)})
    batch = NewReferrals()
    async for row in rows:
        intake = IntakeSubmittedV1.model_validate(row.event)
        if row.household_id in updates:
            intake = intake.model_copy(update={"registry": updates[row.household_id]})
        before = {p["program_code"]: bool(p["eligible"]) for p in row.programs or []}
        report.intakes_evaluated += 1
        decided = decide(intake, catalogue, open_programs=set(), as_of=now.date())
        changed = []
        for d in decided.programs:
            if d.skipped is not None or (programs is not None and d.program.code not in programs):
                continue
            if d.eligible == before.get(d.program.code, False):
                continue
            changed.append(d)
            tally, samples = (
                (report.gains, report.sample_gains)
                if d.eligible
                else (report.losses, report.sample_losses)
            )
            tally[d.program.code] = tally.get(d.program.code, 0) + 1
            if len(samples) < sample:
                samples.append({"intake_id": str(intake.intake_id), "program": d.program.code})
        if not apply or not changed:
            continue
        if row.household_id in updates:
            await session.execute(
                intakes.update()
                .where(intakes.c.intake_id == intake.intake_id)
                .values(event=intake.model_dump(mode="json"))
            )
        open_programs = await open_programs_of(session, intake.household_id)
        gained = [d for d in changed if d.eligible and d.program.code not in open_programs]
        ledger = await CapacityLedger.open(session, [d.program for d in gained], now.date())
        decision_id = uuid4()
        for d in gained:
            has_room = ledger.take(d.program)
            if not has_room and d.program.event.when_full != "queue":
                d.skipped = "capacity_full"
                continue
            batch.add(
                intake,
                d.program,
                explained(d, decided.facts, now),
                decision_id,
                now,
                kind="need",
                rank=d.rank,
                queued=not has_room,
            )
        batch.decision(intake, decided, cause="replay", at=now, decision_id=decision_id)
        await ledger.save(session)
    await batch.save(session)
    report.referrals_created = len(batch.created)
    return report
