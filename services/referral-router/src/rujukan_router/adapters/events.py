"""The router's events as outbox rows: contract JSON written straight from plain values.

The router writes about three events per referral and thousands of referrals a second, so its
events are serialised here with orjson from the values at hand, not through a pydantic model
each (a model build and dump costs more than the rest of the row). The contract models in
``rujukan_contracts.events`` stay the definition: ``tests/test_events.py`` validates every
builder's output against its model, field by field, so a field added to a model and forgotten
here fails the build.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import orjson

from rujukan_contracts.envelope import continued_traceparent, new_traceparent
from rujukan_contracts.events import (
    EscalationAudience,
    ReferralCreatedV1,
    ReferralStatus,
    ReferralStatusChangedV1,
)
from rujukan_contracts.references import referral_reference
from rujukan_contracts.topics import REFERRALS_STATUS, program_topic
from rujukan_platform.ids import new_id
from rujukan_platform.outbox import OutboxEvent, OutboxRecord, follow_up_id
from rujukan_router.adapters.referrals import ReferralRow

CREATED = ReferralCreatedV1.ce_type
STATUS = ReferralStatusChangedV1.ce_type
_AGGREGATE = ReferralCreatedV1.aggregate
_OPTIONS = orjson.OPT_UTC_Z  # datetimes as pydantic writes them: ...Z


def _default(value: Any) -> str:
    if isinstance(value, UUID):  # asyncpg's own UUID class, which orjson does not know
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    return orjson.dumps(value, default=_default, option=_OPTIONS).decode()


def decision_payload(
    *,
    program_code: str,
    program_version: int,
    eligible: bool,
    criteria: list[dict[str, Any]],
    evaluated_at: datetime,
) -> dict[str, Any]:
    """The contract's ``Decision``: what a referral carries about why it was made."""
    return {
        "program_code": program_code,
        "program_version": program_version,
        "eligible": eligible,
        "criteria": criteria,
        "evaluated_at": evaluated_at,
    }


def created_record(
    referral: ReferralRow,
    *,
    decision: dict[str, Any],
    consent: dict[str, Any],
    traceparent: str | None,
    complaint: dict[str, Any] | None = None,
) -> OutboxRecord:
    """``ReferralCreatedV1`` of ``referral`` for its program's topic (``decision`` and
    ``consent`` as JSON). ``traceparent`` (here and in ``status_record``): the span the event
    comes from — one per handled cause (``continued_traceparent`` of the cause), shared by the
    events it produces. ``complaint``: on a complaint case, the resident's words (the contract's
    ``Complaint``)."""
    payload = {
        "referral_id": referral.id,
        "reference": referral.reference,
        "intake_id": referral.intake_id,
        "household_id": referral.household_id,
        "program_code": referral.program_code,
        "program_version": referral.program_version,
        "kind": referral.kind,
        "village_code": referral.village_code,
        "needs": referral.needs,
        "priority_lanes": referral.priority_lanes,
        "decision": decision,
        "consent": consent,
        "due_at": referral.due_at,
        "created_at": referral.created_at,
        "queued": referral.queued,
        "rerouted_from": referral.rerouted_from,
        "complaint": complaint,
    }
    return (
        new_id(),
        _AGGREGATE,
        str(referral.id),
        CREATED,
        dumps(payload),
        program_topic(referral.program_code),
        traceparent or new_traceparent(),
        referral.created_at,
    )


class Referred(Protocol):
    """What a status event names of its referral (a stored referral, a new one, a moved one)."""

    @property
    def id(self) -> UUID: ...
    @property
    def intake_id(self) -> UUID: ...
    @property
    def household_id(self) -> UUID: ...
    @property
    def program_code(self) -> str: ...
    @property
    def village_code(self) -> str: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def escalation_level(self) -> int: ...
    @property
    def kind(self) -> str: ...


def status_record(
    referral: Referred,
    *,
    to_status: str,
    from_status: str | None,
    at: datetime,
    traceparent: str | None = None,
    reason_code: str | None = None,
    note: str | None = None,
    public_note: str | None = None,
    escalated_to: str | None = None,
    escalated: bool = False,
    audience: EscalationAudience | None = None,
    agency_audience: EscalationAudience | None = None,
    event_id: UUID | None = None,
) -> OutboxRecord:
    """A status change of ``referral`` (``event_id``: a follow-up's own, derived id);
    ``note`` is internal, ``public_note`` what the agency lets the resident read. The
    reference is computed again from the id and village, as stored: a referral whose reference
    was taken is never stored (``ReferenceTaken``). Sent under the intake's id, as
    ``ReferralStatusChangedV1.key()`` is."""
    payload = {
        "referral_id": referral.id,
        "reference": referral_reference(referral.id, referral.village_code),
        "intake_id": referral.intake_id,
        "household_id": referral.household_id,
        "program_code": referral.program_code,
        "village_code": referral.village_code,
        "kind": referral.kind,
        "from_status": from_status,
        "to_status": to_status,
        "reason_code": reason_code,
        "note": note,
        "public_note": public_note,
        "changed_at": at,
        "due_at": referral.due_at,
        "escalation_level": referral.escalation_level,
        "escalated_to": escalated_to,
        "escalated": escalated,
        "audience": audience.model_dump(mode="json") if audience else None,
        "agency_audience": agency_audience.model_dump(mode="json") if agency_audience else None,
    }
    return (
        event_id or new_id(),
        _AGGREGATE,
        str(referral.intake_id),  # the contract's key: one visit's changes on one partition
        STATUS,
        dumps(payload),
        REFERRALS_STATUS,
        traceparent or new_traceparent(),
        at,
    )


def delivered_record(referral: Referred, *, created: OutboxEvent, at: datetime) -> OutboxRecord:
    """'delivered', raised once Kafka acknowledged ``created`` (the referral's ReferralCreated
    row) and published by the relay; its id derives from that row, so a republication repeats
    it."""
    return status_record(
        referral,
        to_status=ReferralStatus.delivered.value,
        from_status=ReferralStatus.created.value,
        at=at,
        traceparent=continued_traceparent(created.traceparent),
        event_id=UUID(follow_up_id(created.id, "delivered")),
    )
