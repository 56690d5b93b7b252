"""The router's events as outbox rows: contract JSON written straight from plain values.

The router writes about three events per referral and thousands of referrals a second, so its
events are serialised here with orjson from the values at hand, not through a pydantic model
each (a model build and dump costs more than the rest of the row). The contract models in
``rujukan_contracts.events`` stay the definition: ``tests/test_events.py`` validates every
builder's output against its model, field by field, so a field added to a model and forgotten
here fails the build.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import orjson

from rujukan_contracts.envelope import child_traceparent, new_traceparent
from rujukan_contracts.events import ReferralCreatedV1, ReferralStatus, ReferralStatusChangedV1
from rujukan_contracts.topics import REFERRALS_STATUS
from rujukan_platform.ids import new_id
from rujukan_platform.outbox import OutboxEvent, OutboxRecord, follow_up_id

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
    *,
    # ``traceparent`` (here and in ``status_record``): the span the event comes from — one per
    # handled cause (``child_traceparent`` of the cause), shared by the events it produces.
    topic: str,
    referral_id: UUID,
    intake_id: UUID,
    household_id: UUID,
    program_code: str,
    program_version: int,
    kind: str,
    village_code: str,
    needs: Sequence[str],
    priority_lanes: Sequence[str],
    decision: dict[str, Any],
    consent: dict[str, Any],
    due_at: datetime,
    created_at: datetime,
    queued: bool,
    rerouted_from: UUID | None,
    traceparent: str | None,
) -> OutboxRecord:
    """``ReferralCreatedV1`` for the program's topic (``decision`` and ``consent`` as JSON)."""
    payload = {
        "referral_id": referral_id,
        "intake_id": intake_id,
        "household_id": household_id,
        "program_code": program_code,
        "program_version": program_version,
        "kind": kind,
        "village_code": village_code,
        "needs": needs,
        "priority_lanes": priority_lanes,
        "decision": decision,
        "consent": consent,
        "due_at": due_at,
        "created_at": created_at,
        "queued": queued,
        "rerouted_from": rerouted_from,
    }
    key = str(referral_id)
    return (
        new_id(),
        _AGGREGATE,
        key,
        CREATED,
        dumps(payload),
        topic,
        traceparent or new_traceparent(),
        created_at,
    )


def status_payload(
    *,
    referral_id: UUID,
    intake_id: UUID,
    household_id: UUID,
    program_code: str,
    village_code: str,
    from_status: str | None,
    to_status: str,
    changed_at: datetime,
    due_at: datetime | None,
    escalation_level: int = 0,
    reason_code: str | None = None,
    note: str | None = None,
    escalated_to: str | None = None,
) -> str:
    """``ReferralStatusChangedV1`` as JSON."""
    return dumps(
        {
            "referral_id": referral_id,
            "intake_id": intake_id,
            "household_id": household_id,
            "program_code": program_code,
            "village_code": village_code,
            "from_status": from_status,
            "to_status": to_status,
            "reason_code": reason_code,
            "note": note,
            "changed_at": changed_at,
            "due_at": due_at,
            "escalation_level": escalation_level,
            "escalated_to": escalated_to,
        }
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


def status_record(
    referral: Referred,
    *,
    to_status: str,
    from_status: str | None,
    at: datetime,
    traceparent: str | None = None,
    reason_code: str | None = None,
    note: str | None = None,
    escalated_to: str | None = None,
    event_id: UUID | None = None,
) -> OutboxRecord:
    """A status change of ``referral`` (``event_id``: a follow-up's own, derived id)."""
    payload = status_payload(
        referral_id=referral.id,
        intake_id=referral.intake_id,
        household_id=referral.household_id,
        program_code=referral.program_code,
        village_code=referral.village_code,
        from_status=from_status,
        to_status=to_status,
        changed_at=at,
        due_at=referral.due_at,
        escalation_level=referral.escalation_level,
        reason_code=reason_code,
        note=note,
        escalated_to=escalated_to,
    )
    return (
        event_id or new_id(),
        _AGGREGATE,
        str(referral.id),
        STATUS,
        payload,
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
        traceparent=child_traceparent(created.traceparent),
        event_id=UUID(follow_up_id(created.id, "delivered")),
    )
