"""Apply an agency's outcome to a referral; after a re-routable rejection, refer onward."""

from __future__ import annotations

from datetime import UTC, datetime

from rujukan_contracts.events import ReferralStatus, SlaDays
from rujukan_platform.idempotency import key_mismatch
from rujukan_platform.ids import new_id
from rujukan_router.adapters.referrals import KeyedReport, Step, StoredReferral
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.commands import ReportOutcome
from rujukan_router.domain.decide import Reroute, decide
from rujukan_router.domain.lifecycle import OUTCOME_STATUS, transition
from rujukan_router.domain.rerouting import allows_rerouting
from rujukan_router.domain.sla import STEP_OF, step_deadline
from rujukan_router.service_layer.referrals import (
    ProgramMismatch,
    ReferralNotFound,
    move,
    referring,
)
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork

ANSWERED = ReferralStatus.answered


async def apply_outcome(
    uow: RouterUnitOfWork, report: ReportOutcome, catalogue: Catalogue
) -> StoredReferral:
    """Move a referral by an agency's report; raises ``TransitionRefused`` when impossible.
    Returns the referral as it is now.

    The report's ``idempotency_key`` names one report on this referral, whoever sends it: the
    same report again is answered as it is now, another report under that key raises the
    ``key_mismatch`` problem and changes nothing. A re-routable rejection also refers the
    household onward."""
    at = report.at or datetime.now(UTC)
    row = await uow.referrals.lock(report.referral_id)
    if row is None:
        raise ReferralNotFound(report.referral_id)
    if report.program_code is not None and report.program_code != row.program_code:
        raise ProgramMismatch(row.id, row.program_code, report.program_code)
    if report.idempotency_key:
        seen = await uow.referrals.report_under(row.id, report.idempotency_key)
        if seen is not None:
            if not _same_report(seen, report):
                raise key_mismatch()
            return row
    current = ReferralStatus(row.status)
    # a complaint's answer is what the resident is told: the agency's public words, else its note
    public_note = report.public_note
    if (
        row.kind == "complaint"
        and public_note is None
        and OUTCOME_STATUS[report.outcome] == ANSWERED
    ):
        public_note = report.note
    target = transition(
        current,
        OUTCOME_STATUS[report.outcome],
        report.reason_code,
        kind=row.kind,
        answer=public_note,
    )
    sla = await _sla_of(uow, row.program_code, catalogue)
    reason = report.reason_code.value if report.reason_code else None
    step = _step(row, current, target, reason, sla, at)
    moved = await move(
        uow,
        row,
        step,
        at,
        note=report.note,
        actor=report.actor,
        idempotency_key=report.idempotency_key,
        request_hash=report.fingerprint if report.idempotency_key else None,
        public_note=public_note,
    )
    await uow.referrals.add_history([moved.history])
    uow.add_records([moved.event])
    if target == ReferralStatus.rejected and allows_rerouting(report.reason_code):
        await reroute(uow, moved.referral, catalogue, at)
    return moved.referral


def _step(
    row: StoredReferral,
    current: ReferralStatus,
    target: ReferralStatus,
    reason: str | None,
    sla: SlaDays | None,
    at: datetime,
) -> Step:
    """Where a report leaves the referral: a new step starts its clock with the facilitator
    again; a complaint taken in hand (received → in_progress) keeps the answer's deadline."""
    if row.kind == "complaint" and STEP_OF.get(current) == STEP_OF.get(target):
        return Step(target.value, reason, row.due_at, row.escalation_level)
    due_at = (
        step_deadline(target, sla, at, lanes=row.priority_lanes, village_code=row.village_code)
        if sla
        else None
    )
    return Step(target.value, reason, due_at, escalation_level=0)


def _same_report(seen: KeyedReport, report: ReportOutcome) -> bool:
    if seen.request_hash is None:  # stored before migration 0006: its columns hold the report
        reason = report.reason_code.value if report.reason_code else None
        recorded = (OUTCOME_STATUS[report.outcome].value, reason, report.note)
        return (seen.to_status, seen.reason_code, seen.note) == recorded
    return seen.request_hash == report.fingerprint


async def _sla_of(uow: RouterUnitOfWork, code: str, catalogue: Catalogue) -> SlaDays | None:
    live = catalogue.get(code)
    if live is not None:
        return live.event.sla_days
    stored = await uow.programs.get(code)
    return stored.sla_days if stored is not None else None


async def reroute(
    uow: RouterUnitOfWork, rejected: StoredReferral, catalogue: Catalogue, now: datetime
) -> None:
    """Refer the household to the best eligible program, serving the rejected referral's
    needs, that this intake has not been referred to yet. Re-evaluated now, against the
    current catalogue and capacity, the rejected program no longer among the visit's
    referrals (so a program that excluded it may now be chosen: BLT-DD after PKH); the
    evaluation is stored as a decision of its own when it refers the household anywhere."""
    intake = await uow.intakes.get(rejected.intake_id)
    if intake is None:
        return
    tried = await uow.referrals.programs_of_intake(rejected.intake_id)
    needs = frozenset(rejected.needs)
    serving = [p for p in catalogue.active() if needs & p.needs_served]
    async with referring(
        uow, programs=serving, households=[intake.household_id], today=now.date()
    ) as new:
        decided = decide(
            intake,
            catalogue,
            open_programs=new.open_programs(intake.household_id),
            as_of=now.date(),
            turns_away=new.turns_away,
            reroute=Reroute(needs, frozenset(tried)),
        )
        decision_id = new_id()
        referred = False
        for d in decided.chosen():
            referred |= (
                new.refer(
                    intake,
                    d,
                    decided.facts,
                    decision_id,
                    now,
                    rerouted_from=rejected.id,
                    traceparent=uow.trace,
                )
                is not None
            )
        if referred:
            new.decision(intake, decided, cause="reroute", at=now, decision_id=decision_id)
