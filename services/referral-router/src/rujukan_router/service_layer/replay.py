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
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import Event, IntakeSubmittedV1, RegistryFacts
from rujukan_router.adapters.tables import decisions, intakes
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import decide
from rujukan_router.service_layer.referrals import (
    NewReferrals,
    decision_of,
    open_programs_of,
    take_capacity,
)
from rujukan_router.service_layer.routing import decision_row


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
) -> tuple[ReplayReport, list[tuple[str, Event]]]:
    updates = registry_updates or {}
    report = ReplayReport(applied=apply)
    events: list[tuple[str, Event]] = []
    # the latest intake of each household, with the decisions stored when it was routed
    latest = text(
        "SELECT DISTINCT ON (i.household_id) i.intake_id, i.household_id, i.event,"
        " (SELECT coalesce(jsonb_object_agg(d.program_code, d.eligible), '{}'::jsonb)"
        "  FROM decisions d WHERE d.intake_id = i.intake_id) AS decided"
        " FROM intakes i WHERE i.submitted_at >= :since"
        " ORDER BY i.household_id, i.submitted_at DESC"
    )
    rows = await session.stream(latest, {"since": since or datetime(1970, 1, 1)})
    async for row in rows:
        intake = IntakeSubmittedV1.model_validate(row.event)
        if row.household_id in updates:
            intake = intake.model_copy(update={"registry": updates[row.household_id]})
        before: dict[str, bool] = row.decided
        report.intakes_evaluated += 1
        now_decisions = [
            d
            for d in decide(intake, catalogue, open_programs=set(), as_of=now.date())
            if d.skipped is None and (programs is None or d.program.code in programs)
        ]
        changed = []
        for d in now_decisions:
            was = before.get(d.program.code, False)
            if d.eligible == was:
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
        stmt = insert(decisions).values([decision_row(d, intake.intake_id, now) for d in changed])
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["intake_id", "program_code"],
                set_={
                    c: stmt.excluded[c]
                    for c in ("program_version", "eligible", "skipped", "criteria", "evaluated_at")
                },
            )
        )
        if row.household_id in updates:
            await session.execute(
                intakes.update()
                .where(intakes.c.intake_id == intake.intake_id)
                .values(event=intake.model_dump(mode="json"))
            )
        open_programs = await open_programs_of(session, intake.household_id)
        batch = NewReferrals()
        for d in changed:
            if not d.eligible or d.program.code in open_programs:
                continue
            has_room = await take_capacity(session, d.program, now.date())
            if has_room or d.program.event.when_full == "queue":
                batch.add(
                    intake,
                    d.program,
                    decision_of(d, now),
                    now,
                    kind="need",
                    rank=d.rank,
                    queued=not has_room,
                )
        await batch.save(session)
        report.referrals_created += len(batch.rows)
        events.extend(batch.events)
    return report, events
