"""Deciding where one intake goes: every active program serving the village, evaluated.

Pure logic: given the intake event, the catalogue and the programs the household already has
open referrals to, return one ``ProgramDecision`` per program with its explanation, and rank the
eligible ones (priority lanes first, then how well the program meets the stated needs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_eligibility.intake import context_from_intake
from rujukan_eligibility.rules import Evaluation, PreparedContext
from rujukan_router.domain.catalogue import Catalogue, LiveProgram


@dataclass(slots=True)
class ProgramDecision:
    program: LiveProgram
    evaluation: Evaluation | None
    skipped: str | None = None
    rank: int = 0

    @property
    def eligible(self) -> bool:
        return self.skipped is None and self.evaluation is not None and self.evaluation.eligible


def decide(
    intake: IntakeSubmittedV1,
    catalogue: Catalogue,
    *,
    open_programs: set[str],
    as_of: date,
) -> list[ProgramDecision]:
    ctx = PreparedContext(context_from_intake(intake, as_of), catalogue.keep)
    enrolled = set(intake.registry.enrolments)
    needs = {n.value for n in intake.needs}
    decisions: list[ProgramDecision] = []
    for program in catalogue.active():
        if not program.serves(intake.village_code):
            continue  # outside the service area: not a candidate at all
        if not intake.consent.allows("referral", program.code):
            decisions.append(ProgramDecision(program, None, skipped="no_consent"))
            continue
        if program.code in enrolled:
            decisions.append(ProgramDecision(program, None, skipped="already_enrolled"))
            continue
        if program.code in open_programs:
            decisions.append(ProgramDecision(program, None, skipped="open_referral"))
            continue
        decisions.append(ProgramDecision(program, program.rule.evaluate(ctx)))
    eligible = [d for d in decisions if d.eligible]
    lanes = {lane.value for lane in intake.priority_lanes}
    eligible.sort(
        key=lambda d: (
            not (lanes & set(d.program.event.priority_lanes)),  # a fast lane for this household
            -len(needs & {n.value for n in d.program.event.needs_served}),
            d.program.code,
        )
    )
    for rank, d in enumerate(eligible, start=1):
        d.rank = rank
    return decisions


def complaint_target(
    intake: IntakeSubmittedV1, catalogue: Catalogue, open_programs: set[str]
) -> LiveProgram | None:
    """The program a complaint goes to: it must exist, be active, serve the village and be a
    recipient the resident consented to. A program with an open referral already hears from
    the household through that referral."""
    code = intake.complaint.about_program if intake.complaint else None
    program = catalogue.get(code) if code else None
    if (
        program is None
        or program.event.status != "active"
        or not program.serves(intake.village_code)
        or not intake.consent.allows("referral", program.code)
        or program.code in open_programs
    ):
        return None
    return program
