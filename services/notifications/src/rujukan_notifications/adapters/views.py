"""The read side of the API (cosmicpython, chapter 12): a referral's deliveries and an inbox,
queried straight into the response models, past the repositories."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import orjson
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_notifications.adapters.tables import (
    deliveries,
    delivery_attempts,
    inbox_messages,
    resident_news,
)
from rujukan_notifications.entrypoints.schemas import (
    AttemptRead,
    DeliveryRead,
    InboxMessageRead,
    InboxPage,
)
from rujukan_platform.auth import Principal
from rujukan_platform.paging import NOT_A_CURSOR, decode_cursor, encode_cursor
from rujukan_platform.problems import field_error


async def referral_deliveries(
    session: AsyncSession, referral_id: UUID, principal: Principal
) -> list[DeliveryRead]:
    """The referral's deliveries (its resident's messages that tell of it among them), oldest
    first, if the referral is the caller's to see (else none: a referral of another region
    looks like one with no messages)."""
    told_in = select(resident_news.c.digest_id).where(
        resident_news.c.referral_id == referral_id, resident_news.c.digest_id.is_not(None)
    )
    rows = (
        await session.execute(
            select(deliveries)
            .where(
                (deliveries.c.referral_id == referral_id)
                | deliveries.c.source_event_id.in_(told_in)
            )
            .order_by(deliveries.c.created_at, deliveries.c.id)
        )
    ).all()
    if not rows:
        return []
    about = orjson.loads(rows[0].context)
    program = next(
        (n["program_code"] for n in about.get("news", []) if n["referral_id"] == str(referral_id)),
        about.get("program_code"),
    )
    if not principal.may_see(about.get("village_code", ""), program):
        return []
    history: dict[UUID, list[AttemptRead]] = {r.id: [] for r in rows}
    steps = await session.execute(
        select(delivery_attempts)
        .where(delivery_attempts.c.delivery_id.in_(list(history)))
        .order_by(delivery_attempts.c.id)
    )
    for step in steps:
        history[step.delivery_id].append(AttemptRead.model_validate(step, from_attributes=True))
    return [
        DeliveryRead(
            notification_id=r.id,
            referral_id=r.referral_id,
            audience=r.audience,
            channel=r.channel,
            recipient=r.recipient_masked,
            template=r.template,
            state=r.state,
            attempts=r.attempts,
            waits=r.waits,
            last_error=r.last_error,
            next_attempt_at=r.next_attempt_at if r.state == "pending" else None,
            created_at=r.created_at,
            sent_at=r.sent_at,
            unreachable_reason=r.unreachable_reason,
            unreachable_detail=r.unreachable_detail,
            history=history[r.id],
        )
        for r in rows
    ]


async def inbox(
    session: AsyncSession, recipient: str, *, limit: int, cursor: str | None
) -> InboxPage:
    """An inbox, newest first, paged by an opaque cursor."""
    query = select(inbox_messages).where(inbox_messages.c.recipient == recipient)
    if cursor:
        at, last_id = decode_cursor(cursor, 2)
        try:
            key = tuple_(datetime.fromisoformat(at), UUID(last_id))
        except ValueError as exc:
            raise field_error("cursor", NOT_A_CURSOR) from exc
        query = query.where(tuple_(inbox_messages.c.created_at, inbox_messages.c.id) < key)
    newest_first = (inbox_messages.c.created_at.desc(), inbox_messages.c.id.desc())
    rows = (await session.execute(query.order_by(*newest_first).limit(limit + 1))).all()
    page = rows[:limit]
    last = page[-1] if len(rows) > limit else None
    return InboxPage(
        items=[
            InboxMessageRead(id=r.id, subject=r.subject, body=r.body, created_at=r.created_at)
            for r in page
        ],
        next_cursor=encode_cursor(last.created_at.isoformat(), str(last.id)) if last else None,
    )
