"""Deciding where one intake goes: every active program serving the village, evaluated.

Pure logic: given the intake event, the catalogue and the programs the household already has
open referrals to, return one ``ProgramDecision`` per program with its verdict (every
criterion's result), and rank the eligible ones (priority lanes first, then how well the program
meets the stated needs). The facts the rules read come back with them: stored once with the
decision, they are what every criterion's explanation is rendered from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_eligibility.intake import context_from_intake
from rujukan_eligibility.rules import CriterionResult, PreparedContext, Verdict
from rujukan_router.domain.catalogue import Catalogue, LiveProgram

#: skip reasons decided before any rule ran: such a decision says nothing of eligibility
NOT_EVALUATED = frozenset({"no_consent", "already_enrolled", "open_referral"})


@dataclass(slots=True)
class ProgramDecision:
    program: LiveProgram
    verdict: Verdict | None
    skipped: str | None = None
    rank: int = 0

    @property
    def eligible(self) -> bool:
        return self.skipped is None and self.verdict is not None and self.verdict.eligible

    def criteria(self, facts: dict[str, Any]) -> list[CriterionResult]:
        """The explanation: each criterion's result with the values it read from ``facts``."""
        return [] if self.verdict is None else self.program.rule.explain(facts, self.verdict)


@dataclass(slots=True)
class Decided:
    """One evaluation of an intake: the facts every rule read, and a decision per program."""

    facts: dict[str, Any]
    programs: list[ProgramDecision]

    def eligible(self) -> list[ProgramDecision]:
        """The eligible programs, best first."""
        return sorted((d for d in self.programs if d.eligible), key=lambda d: d.rank)

    def get(self, code: str) -> ProgramDecision | None:
        return next((d for d in self.programs if d.program.code == code), None)


def decide(
    intake: IntakeSubmittedV1,
    catalogue: Catalogue,
    *,
    open_programs: set[str],
    as_of: date,
) -> Decided:
    facts = context_from_intake(intake, as_of)
    ctx = PreparedContext(facts, catalogue.keep)
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
        decisions.append(ProgramDecision(program, program.rule.verdict(ctx)))
    eligible = [d for d in decisions if d.eligible]
    lanes = {lane.value for lane in intake.priority_lanes}
    eligible.sort(
        key=lambda d: (
            not (lanes & d.program.priority_lanes),  # a fast lane for this household
            -len(needs & d.program.needs_served),
            d.program.code,
        )
    )
    for rank, d in enumerate(eligible, start=1):
        d.rank = rank
    return Decided(facts, decisions)


def complaint_target(
    intake: IntakeSubmittedV1, catalogue: Catalogue, about: str | None = None
) -> LiveProgram | None:
    """Who hears a complaint: the program it names (``about``: the program of the referral it
    names, when it names no program), whatever the household's eligibility, if that program is
    active, serves the village and is a recipient the resident consented to; otherwise the
    village's complaint desk (the SLRT itself: the resident asked it to be heard). None: no
    desk serves the village."""
    complaint = intake.complaint
    if complaint is None:
        return None
    code = complaint.about_program or about
    program = catalogue.get(code) if code else None
    if (
        program is not None
        and program.event.status == "active"
        and program.serves(intake.village_code)
        and intake.consent.allows("referral", program.code)
    ):
        return program
    return catalogue.desk_for(intake.village_code)
