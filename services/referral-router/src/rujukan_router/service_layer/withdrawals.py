"""Withdrawing referrals: by an operator (with a reason), or because the resident withdrew the
consent they relied on.

A withdrawal closes the referral (``lifecycle``: allowed from every open status) and raises its
status change twice: on ``referrals.status`` as every change (intake and notifications read
it), and on the program's own topic, the only one its owner agency reads, so the agency stops
working on it. The consent withdrawal also takes the purpose out of the household's stored
intakes, so neither a re-route nor a replay refers the household again on the old consent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rujukan_contracts.events import ConsentWithdrawnV1, ReasonCode, ReferralStatus
from rujukan_contracts.topics import program_topic
from rujukan_platform.ids import new_id
from rujukan_platform.outbox import OutboxRecord
from rujukan_router.adapters.referrals import Step, StoredReferral
from rujukan_router.domain.commands import WithdrawReferral
from rujukan_router.domain.lifecycle import transition
from rujukan_router.service_layer.referrals import ReferralNotFound, move
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork

S = ReferralStatus
#: the history row's idempotency key: a referral is withdrawn once, whoever asks again
WITHDRAWAL_KEY = "withdraw"
#: the history's note and the events' on a referral withdrawn with the resident's consent
CONSENT_NOTE = "Persetujuan warga untuk rujukan ditarik (consent for referral withdrawn)"
#: the reason code a consent withdrawal carries: the resident no longer agrees to be referred
CONSENT_REASON = ReasonCode.client_refused_services


async def withdraw_referral(command: WithdrawReferral, uow: RouterUnitOfWork) -> StoredReferral:
    """Withdraw one referral (``ReferralNotFound``, or ``TransitionRefused`` when it is closed
    for another reason or was withdrawn with other words); returns it as it is now."""
    row = await uow.referrals.lock(command.referral_id)
    if row is None:
        raise ReferralNotFound(command.referral_id)
    seen = await uow.referrals.report_under(row.id, WITHDRAWAL_KEY)
    if seen is not None and seen.request_hash == command.fingerprint:
        return row
    transition(S(row.status), S.withdrawn, kind=row.kind)
    code = command.reason_code.value if command.reason_code else None
    [updated] = await _withdraw(
        uow,
        [row],
        reason_code=code,
        note=command.reason,
        actor=command.actor,
        at=datetime.now(UTC),
        request_hash=command.fingerprint,
    )
    return updated


async def withdraw_for_consent(event: ConsentWithdrawnV1, uow: RouterUnitOfWork) -> None:
    """The resident withdrew consent: without 'referral', every open referral and complaint
    case made from the household's intakes until then is withdrawn, and those intakes no
    longer allow referring (a later intake, with consent asked afresh, stands)."""
    if "referral" not in event.purposes:
        return
    stored = await uow.intakes.of_household(event.household_id, until=event.withdrawn_at)
    await uow.intakes.replace(
        [
            i.model_copy(
                update={
                    "consent": i.consent.model_copy(
                        update={"purposes": [p for p in i.consent.purposes if p != "referral"]}
                    )
                }
            )
            for i in stored
            if "referral" in i.consent.purposes
        ]
    )
    rows = await uow.referrals.lock_open_of(event.household_id, until=event.withdrawn_at)
    await _withdraw(
        uow,
        rows,
        reason_code=CONSENT_REASON.value,
        note=CONSENT_NOTE,
        actor=event.recorded_by,
        at=event.withdrawn_at,
        request_hash=None,
    )


async def _withdraw(
    uow: RouterUnitOfWork,
    rows: Sequence[StoredReferral],
    *,
    reason_code: str | None,
    note: str,
    actor: str,
    at: datetime,
    request_hash: str | None,
) -> list[StoredReferral]:
    """Close ``rows`` (open, locked) as withdrawn: history, and each one's two events."""
    moved = [
        await move(
            uow,
            row,
            Step(S.withdrawn.value, reason_code, None, row.escalation_level),
            at,
            note=note,
            actor=actor,
            idempotency_key=WITHDRAWAL_KEY,
            request_hash=request_hash,
        )
        for row in rows
    ]
    await uow.referrals.add_history([m.history for m in moved])
    uow.add_records([r for m in moved for r in (m.event, for_agency(m.event, m.referral))])
    return [m.referral for m in moved]


def for_agency(record: OutboxRecord, referral: StoredReferral) -> OutboxRecord:
    """The same status change, with an id of its own, for the referral's program's topic (keyed
    by the referral there, as its 'created' was; ``referrals.status`` keys it by intake)."""
    _id, aggregate, _key, type_, payload, _topic, traceparent, at = record
    return (
        new_id(),
        aggregate,
        str(referral.id),
        type_,
        payload,
        program_topic(referral.program_code),
        traceparent,
        at,
    )
