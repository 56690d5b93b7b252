"""Use cases: remember consented contacts, plan deliveries per status change, list them.

Planning happens in the consumer's transaction (so a redelivered event plans nothing twice:
``processed_events`` and a unique (source event, audience, channel) key); sending happens after,
in the dispatcher (``service_layer/dispatch.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import (
    IntakeContactV1,
    ReferralStatusChangedV1,
)
from rujukan_notifications.adapters.contacts import seal_contact
from rujukan_notifications.adapters.tables import (
    contacts,
    deliveries,
    delivery_attempts,
    inbox_messages,
)
from rujukan_notifications.domain.audience import (
    consented_channels,
    normalize_phone,
    plan,
)
from rujukan_notifications.domain.channels import (
    ChannelName,
)
from rujukan_platform.auth import Principal
from rujukan_platform.paging import decode_cursor, encode_cursor
from rujukan_platform.problems import field_error
from rujukan_platform.sealing import Sealer


async def remember_contact(
    session: AsyncSession,
    event: IntakeContactV1,
    *,
    sealer: Sealer,
    phone_channels: Sequence[ChannelName] = ("sms",),
) -> None:
    """Keep a household's consented contact, sealed (``adapters/contacts.py``), with the
    channels it covers (``consented_channels``); an intake without one (no contact, or no
    'notification' consent: intake sends ``None``) withdraws the one kept."""
    channels = consented_channels(event.contact, phone_channels)
    if event.contact is None or not channels:
        await session.execute(
            contacts.delete().where(contacts.c.household_id == event.household_id)
        )
        return
    household = event.household_id
    email = event.contact.email if "email" in channels else None
    stmt = insert(contacts).values(
        household_id=household,
        language=event.contact.language,
        email=seal_contact(sealer, "email", household, email),
        phone=seal_contact(sealer, "phone", household, normalize_phone(event.contact.phone)),
        channels=channels,
        updated_at=datetime.now(UTC),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["household_id"],
        set_={
            c: getattr(stmt.excluded, c)
            for c in ("language", "email", "phone", "channels", "updated_at")
        },
    )
    await session.execute(stmt)


@dataclass(frozen=True, slots=True)
class Routing:
    """What the deployment offers: residents' channels with a provider, agencies with a
    webhook."""

    resident_channels: Sequence[ChannelName] = ("email",)
    agency_programs: frozenset[str] = frozenset()


async def plan_deliveries(
    session: AsyncSession,
    event: ReferralStatusChangedV1,
    *,
    source_event_id: UUID,
    program_names: dict[str, dict[str, str]],
    routing: Routing = Routing(),
) -> int:
    """A pending delivery per (audience, channel) who should hear of this change. A resident
    whose contact is known gets only the channels they consented to; an unknown contact may
    still arrive (another topic), so every offered channel is planned and checked when sent."""
    known = await session.scalar(
        select(contacts.c.channels).where(contacts.c.household_id == event.household_id)
    )
    resident = [c for c in routing.resident_channels if known is None or c in known]
    planned = plan(event, resident_channels=resident, agency_programs=routing.agency_programs)
    if not planned:
        return 0
    context = {
        "program_code": event.program_code,
        "program_name": program_names.get(event.program_code, {}),
        "status": event.to_status.value,
        "reason_code": event.reason_code.value if event.reason_code else None,
        "note": event.note,
        "referral_id": str(event.referral_id),
        "village_code": event.village_code,
        "changed_at": event.changed_at.isoformat(),
    }
    await session.execute(
        insert(deliveries)
        .values(
            [
                {
                    "id": uuid4(),
                    "source_event_id": source_event_id,
                    "referral_id": event.referral_id,
                    "household_id": event.household_id,
                    "audience": p.audience,
                    "channel": p.channel,
                    "address": p.address,
                    "template": p.template,
                    "context": orjson.dumps(context).decode(),
                    "state": "pending",
                }
                for p in planned
            ]
        )
        .on_conflict_do_nothing(index_elements=["source_event_id", "audience", "channel"])
    )
    return len(planned)


async def list_deliveries(
    session: AsyncSession, referral_id: UUID, principal: Principal
) -> list[dict[str, Any]]:
    """The referral's deliveries, if the referral is the caller's to see (else none: a referral
    of another region looks like one with no messages)."""
    rows = (
        await session.execute(
            select(deliveries)
            .where(deliveries.c.referral_id == referral_id)
            .order_by(deliveries.c.created_at, deliveries.c.id)
        )
    ).all()
    if rows:
        about = orjson.loads(rows[0].context)
        if not principal.may_see(about.get("village_code", ""), about.get("program_code")):
            return []
    history: dict[UUID, list[dict[str, Any]]] = {r.id: [] for r in rows}
    if rows:
        steps = await session.execute(
            select(delivery_attempts)
            .where(delivery_attempts.c.delivery_id.in_(list(history)))
            .order_by(delivery_attempts.c.id)
        )
        for s in steps:
            history[s.delivery_id].append(
                {
                    "attempt": s.attempt,
                    "outcome": s.outcome,
                    "provider": s.provider,
                    "detail": s.detail,
                    "duration_ms": s.duration_ms,
                    "at": s.at,
                }
            )
    return [
        {
            "notification_id": r.id,
            "referral_id": r.referral_id,
            "audience": r.audience,
            "channel": r.channel,
            "recipient": r.recipient_masked,
            "template": r.template,
            "state": r.state,
            "attempts": r.attempts,
            "last_error": r.last_error,
            "next_attempt_at": r.next_attempt_at if r.state == "pending" else None,
            "created_at": r.created_at,
            "sent_at": r.sent_at,
            "history": history[r.id],
        }
        for r in rows
    ]


async def list_inbox(
    session: AsyncSession, recipient: str, *, limit: int, cursor: str | None
) -> dict[str, Any]:
    """An inbox, newest first, paged by an opaque cursor."""
    query = select(inbox_messages).where(inbox_messages.c.recipient == recipient)
    if cursor:
        at, last_id = decode_cursor(cursor, 2)
        try:
            key = tuple_(datetime.fromisoformat(at), UUID(last_id))
        except ValueError as exc:
            raise field_error("cursor", "not a cursor from this API") from exc
        query = query.where(tuple_(inbox_messages.c.created_at, inbox_messages.c.id) < key)
    rows = (
        await session.execute(
            query.order_by(inbox_messages.c.created_at.desc(), inbox_messages.c.id.desc()).limit(
                limit + 1
            )
        )
    ).all()
    page = rows[:limit]
    more = len(rows) > limit
    return {
        "items": [
            {"id": r.id, "subject": r.subject, "body": r.body, "created_at": r.created_at}
            for r in page
        ],
        "next_cursor": encode_cursor(page[-1].created_at.isoformat(), str(page[-1].id))
        if more
        else None,
    }
