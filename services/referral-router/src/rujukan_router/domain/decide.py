"""Deciding where one intake goes: every active program serving the village, evaluated.

Pure logic: given the intake event, the catalogue and the programs the household already has
open referrals to, return one ``ProgramDecision`` per program with its verdict (every
criterion's result) and what became of it: **referred** when eligible and serving a stated need
(or ``proactive`` in the catalogue: registry inclusion, civil documents), **suggested** to the
officer when eligible for needs nobody stated, **not eligible**, or **skipped** (and why). A
visit without needs (a complaint only) refers nowhere.

Rules that read ``visit`` (exclusions between programs: BLT-DD not beside PKH) are evaluated
after all the others, with ``visit.referred`` holding what those led to (and the household's
open referrals), so the outcome never depends on the order of the catalogue. The facts the
rules read come back with the decisions: stored once with the decision, they are what every
criterion's explanation is rendered from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_eligibility.intake import context_from_intake
from rujukan_eligibility.rules import CriterionResult, PreparedContext, Verdict
from rujukan_router.domain.catalogue import Catalogue, LiveProgram

#: skip reasons decided before any rule ran: such a decision says nothing of eligibility
NOT_EVALUATED = frozenset({"no_consent", "already_enrolled", "open_referral", "already_referred"})

Outcome = Literal["referred", "suggested", "not_eligible", "skipped"]


@dataclass(slots=True)
class ProgramDecision:
    program: LiveProgram
    verdict: Verdict | None
    skipped: str | None = None
    rank: int = 0
    #: chosen to be referred: eligible, and serving a stated need or proactive
    chosen: bool = False

    @property
    def eligible(self) -> bool:
        return self.skipped is None and self.verdict is not None and self.verdict.eligible

    @property
    def outcome(self) -> Outcome:
        """What became of the program in this evaluation, as the officer reads it."""
        if self.skipped is not None:
            return "skipped"
        if not self.eligible:
            return "not_eligible"
        return "referred" if self.chosen else "suggested"

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

    def chosen(self) -> list[ProgramDecision]:
        """The programs to refer the household to, best first."""
        return [d for d in self.eligible() if d.chosen]

    def get(self, code: str) -> ProgramDecision | None:
        return next((d for d in self.programs if d.program.code == code), None)


@dataclass(frozen=True, slots=True)
class Reroute:
    """Deciding again after a rejection: only the rejected referral's needs count, programs
    this intake was referred to before are not candidates, and one program at most is chosen
    (proactive programs had their chance when the intake was routed)."""

    needs: frozenset[str]
    tried: frozenset[str]


#: whether a program turns a referral away now (full, and not queueing): the referring unit's
#: capacity ledger
TurnsAway = Callable[[LiveProgram], bool]


def decide(
    intake: IntakeSubmittedV1,
    catalogue: Catalogue,
    *,
    open_programs: set[str],
    as_of: date,
    turns_away: TurnsAway | None = None,
    reroute: Reroute | None = None,
) -> Decided:
    facts = context_from_intake(intake, as_of)
    ctx = PreparedContext(facts, catalogue.keep)
    enrolled = set(intake.registry.enrolments)
    tried = reroute.tried if reroute is not None else frozenset()
    decisions: list[ProgramDecision] = []
    for program in catalogue.active():
        if not program.serves(intake.village_code):
            continue  # outside the service area: not a candidate at all
        decisions.append(
            ProgramDecision(program, None, _skip(program, intake, enrolled, open_programs, tried))
        )
    first = [d for d in decisions if d.skipped is None and not d.program.reads_visit]
    later = [d for d in decisions if d.skipped is None and d.program.reads_visit]
    chooser = _Chooser(intake, reroute, turns_away)
    for d in first:
        d.verdict = d.program.rule.verdict(ctx)
    chooser.choose(first)
    visit = {"referred": sorted(open_programs | chooser.referred)}
    if later:
        ctx.put("visit", visit)  # converting it for CEL costs: only when a rule reads it
    else:
        facts["visit"] = visit  # stored with the decision all the same
    for d in later:
        d.verdict = d.program.rule.verdict(ctx)
    chooser.choose(later)
    _rank(decisions, intake, chooser.needs)
    return Decided(facts, decisions)


def _skip(
    program: LiveProgram,
    intake: IntakeSubmittedV1,
    enrolled: set[str],
    open_programs: set[str],
    tried: frozenset[str],
) -> str | None:
    """Why a program is not evaluated at all (None: it is)."""
    if not intake.consent.allows("referral", program.code):
        return "no_consent"
    if program.code in enrolled:
        return "already_enrolled"
    if program.code in open_programs:
        return "open_referral"
    if program.code in tried:
        return "already_referred"
    return None


class _Chooser:
    """Which eligible programs are referred: those serving a stated need, proactive ones (on a
    visit with needs), within a re-route's limit of one, unless the program turns it away."""

    def __init__(
        self, intake: IntakeSubmittedV1, reroute: Reroute | None, turns_away: TurnsAway | None
    ) -> None:
        self.needs = (
            reroute.needs if reroute is not None else frozenset(n.value for n in intake.needs)
        )
        self._proactive = reroute is None and bool(self.needs)
        self._limit = 1 if reroute is not None else None
        self._lanes = {lane.value for lane in intake.priority_lanes}
        self._turns_away = turns_away
        self.referred: set[str] = set()

    def wanted(self, program: LiveProgram) -> bool:
        return bool(self.needs & program.needs_served) or (
            self._proactive and program.event.proactive
        )

    def choose(self, decisions: Iterable[ProgramDecision]) -> None:
        candidates = [d for d in decisions if d.eligible and self.wanted(d.program)]
        if self._limit is not None:  # the best first; otherwise every candidate is referred
            candidates.sort(key=lambda d: _order(d, self._lanes, self.needs))
        for d in candidates:
            if self._limit is not None and len(self.referred) >= self._limit:
                return
            if self._turns_away is not None and self._turns_away(d.program):
                d.skipped = "capacity_full"
                continue
            d.chosen = True
            self.referred.add(d.program.code)


def _order(
    d: ProgramDecision, lanes: set[str], needs: frozenset[str]
) -> tuple[bool, bool, int, str]:
    return (
        not d.chosen,  # the programs referred first, then the suggestions
        not (lanes & d.program.priority_lanes),  # a fast lane for this household
        -len(needs & d.program.needs_served),
        d.program.code,
    )


def _rank(
    decisions: list[ProgramDecision], intake: IntakeSubmittedV1, needs: frozenset[str]
) -> None:
    """Rank the eligible programs from 1: referred before suggested, then priority lanes, then
    how many of the stated needs each serves."""
    lanes = {lane.value for lane in intake.priority_lanes}
    eligible = sorted((d for d in decisions if d.eligible), key=lambda d: _order(d, lanes, needs))
    for rank, d in enumerate(eligible, start=1):
        d.rank = rank


def complaint_target(
    intake: IntakeSubmittedV1, catalogue: Catalogue, about: str | None = None
) -> LiveProgram | None:
    """Who hears a complaint: the program it names (``about``: the program of the referral it
    names, when it names no program), whatever the household's eligibility, if that program is
    active, serves the village and is a recipient the resident consented to; otherwise the
    village's complaint desk (the SLRT itself: the 'referral' purpose is enough, whoever the
    consented recipients are). None: no desk serves the village, or no referral was agreed."""
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
    if "referral" not in intake.consent.purposes:
        return None
    return catalogue.desk_for(intake.village_code)
