"""Apply an agency's outcome to a referral; after a re-routable rejection, refer onward."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.envelope import child_traceparent
from rujukan_contracts.events import (
    IntakeSubmittedV1,
    OutcomeKind,
    ProgramPublishedV1,
    ReasonCode,
    ReferralStatus,
    SlaDays,
)
from rujukan_platform.idempotency import fingerprint, key_mismatch
from rujukan_platform.ids import new_id
from rujukan_platform.outbox import stage_records
from rujukan_router.adapters.events import status_record
from rujukan_router.adapters.tables import catalogue as catalogue_rows
from rujukan_router.adapters.tables import intakes, referral_history, referrals
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import decide
from rujukan_router.domain.lifecycle import OUTCOME_STATUS, transition
from rujukan_router.domain.rerouting import allows_rerouting
from rujukan_router.domain.sla import step_deadline
from rujukan_router.service_layer.referrals import (
    CapacityLedger,
    NewReferrals,
    ProgramMismatch,
    ReferralNotFound,
    open_programs_of,
)


async def apply_outcome(
    session: AsyncSession,
    *,
    referral_id: UUID,
    program_code: str | None,
    outcome: OutcomeKind,
    reason: ReasonCode | None,
    note: str | None,
    actor: str,
    idempotency_key: str | None = None,
    at: datetime | None = None,
    catalogue: Catalogue | None = None,
    traceparent: str | None = None,
) -> tuple[Any, int]:
    """Move a referral by an agency's report; raises ``TransitionRefused`` when impossible.
    Stages its events in the session's transaction; returns the referral as it is now and how
    many events were staged (none for a report already applied).

    An ``idempotency_key`` (the HTTP header, or the event id from Kafka) names one report on
    this referral, whoever sends it: the same report again is answered as it is now, another
    report under that key raises the ``key_mismatch`` problem and changes nothing.

    With a catalogue, a re-routable rejection also refers the household onward."""
    at = at or datetime.now(UTC)
    row = (
        await session.execute(
            select(referrals).where(referrals.c.id == referral_id).with_for_update()
        )
    ).first()
    if row is None:
        raise ReferralNotFound(str(referral_id))
    if program_code is not None and program_code != row.program_code:
        raise ProgramMismatch(
            f"referral {referral_id} belongs to {row.program_code}, not {program_code}"
        )
    digest = outcome_fingerprint(outcome, reason, note)
    if idempotency_key:
        seen = (
            await session.execute(
                select(
                    referral_history.c.request_hash,
                    referral_history.c.to_status,
                    referral_history.c.reason_code,
                    referral_history.c.note,
                ).where(
                    referral_history.c.referral_id == referral_id,
                    referral_history.c.idempotency_key == idempotency_key,
                )
            )
        ).first()
        if seen is not None:
            if not _same_request(seen, digest, outcome, reason, note):
                raise key_mismatch()
            return row, 0
    current = ReferralStatus(row.status)
    target = transition(current, OUTCOME_STATUS[outcome], reason)
    sla = await _sla_of(session, row.program_code, catalogue)
    updated = (
        await session.execute(
            referrals.update()
            .where(referrals.c.id == referral_id)
            .values(
                status=target.value,
                reason_code=reason.value if reason else None,
                due_at=step_deadline(target, sla, at) if sla else None,
                escalation_level=0,  # a new step starts with the facilitator again
                updated_at=at,
            )
            .returning(referrals)
        )
    ).one()
    await session.execute(
        referral_history.insert().values(
            referral_id=referral_id,
            from_status=current.value,
            to_status=target.value,
            reason_code=reason.value if reason else None,
            note=note,
            actor=actor,
            idempotency_key=idempotency_key,
            request_hash=digest if idempotency_key else None,
            at=at,
        )
    )
    await stage_records(
        session,
        [
            status_record(
                updated._mapping,
                to_status=target.value,
                from_status=current.value,
                at=at,
                traceparent=child_traceparent(traceparent),
                reason_code=reason.value if reason else None,
                note=note,
            )
        ],
    )
    staged = 1
    if target == ReferralStatus.rejected and catalogue is not None and allows_rerouting(reason):
        staged += 2 * await reroute(session, updated, catalogue, at, traceparent=traceparent)
    return updated, staged


def outcome_fingerprint(outcome: OutcomeKind, reason: ReasonCode | None, note: str | None) -> str:
    """The whole report, as the HTTP body's model dumps it (outcome, reason_code, note); the
    referral and the sender are not part of it (the key is scoped to the referral)."""
    return fingerprint(
        {"outcome": outcome.value, "reason_code": reason.value if reason else None, "note": note}
    )


def _same_request(
    seen: Any, digest: str, outcome: OutcomeKind, reason: ReasonCode | None, note: str | None
) -> bool:
    if seen.request_hash is None:  # stored before migration 0006: its columns hold the report
        recorded = (OUTCOME_STATUS[outcome].value, reason.value if reason else None, note)
        return (seen.to_status, seen.reason_code, seen.note) == recorded
    return bool(seen.request_hash == digest)


async def _sla_of(session: AsyncSession, code: str, catalogue: Catalogue | None) -> SlaDays | None:
    live = catalogue.get(code) if catalogue else None
    if live is not None:
        return live.event.sla_days
    row = (
        await session.execute(select(catalogue_rows.c.program).where(catalogue_rows.c.code == code))
    ).first()
    return ProgramPublishedV1.model_validate(row.program).sla_days if row else None


async def reroute(
    session: AsyncSession,
    rejected: Any,
    catalogue: Catalogue,
    now: datetime,
    *,
    traceparent: str | None = None,
) -> int:
    """Refer the household to the best eligible program, serving the rejected referral's
    needs, that this intake has not been referred to yet. Re-evaluated now, against the
    current catalogue and capacity; the evaluation is stored as a decision of its own.
    Returns how many referrals were made (0 or 1), their events staged."""
    stored = (
        await session.execute(
            select(intakes.c.event).where(intakes.c.intake_id == rejected.intake_id)
        )
    ).first()
    if stored is None:
        return 0
    intake = IntakeSubmittedV1.model_validate(stored.event)
    tried = set(
        (
            await session.execute(
                select(referrals.c.program_code).where(referrals.c.intake_id == rejected.intake_id)
            )
        ).scalars()
    )
    open_programs = await open_programs_of(session, intake.household_id)
    needs = set(rejected.needs)
    decided = decide(intake, catalogue, open_programs=open_programs | tried, as_of=now.date())
    candidates = [
        d for d in decided.eligible() if needs & {n.value for n in d.program.event.needs_served}
    ]
    ledger = await CapacityLedger.open(session, [d.program for d in candidates], now.date())
    batch = NewReferrals()
    decision_id = new_id()
    for d in candidates:
        referred = batch.refer(
            intake,
            d,
            decided.facts,
            decision_id,
            now,
            ledger,
            rerouted_from=rejected.id,
            traceparent=traceparent,
        )
        if referred is not None:
            break
    if not batch.created:
        return 0
    batch.decision(intake, decided, cause="reroute", at=now, decision_id=decision_id)
    await ledger.save(session)
    await batch.save(session)
    return len(batch.created)
