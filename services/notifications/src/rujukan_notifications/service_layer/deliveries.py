"""Use cases: remember consented contacts, plan a delivery per status change, dispatch them.

Planning happens in the consumer's transaction (so a redelivered event plans nothing twice:
``processed_events`` and a unique (source event, channel) key); sending happens after, in the
dispatcher, which claims due rows with ``FOR UPDATE SKIP LOCKED``, retries with exponential
backoff and jitter, and records every result on ``notifications.dispatched``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import orjson
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rujukan_contracts.events import (
    IntakeSubmittedV1,
    NotificationDispatchedV1,
    ReferralStatusChangedV1,
)
from rujukan_contracts.topics import NOTIFICATIONS_DISPATCHED
from rujukan_notifications.adapters.tables import contacts, deliveries, outbox
from rujukan_notifications.domain.messages import Message, render_status
from rujukan_platform.logging import get_logger, mask
from rujukan_platform.outbox import stage

log = get_logger(__name__)

Send = Callable[[str, Message], Awaitable[None]]


async def remember_contact(session: AsyncSession, intake: IntakeSubmittedV1) -> None:
    """Only contacts the resident consented to be told through ('notification' purpose); a
    later intake without that consent (or without a contact) withdraws the one kept."""
    if intake.contact is None or "notification" not in intake.consent.purposes:
        await session.execute(
            contacts.delete().where(contacts.c.household_id == intake.household_id)
        )
        return
    stmt = insert(contacts).values(
        household_id=intake.household_id,
        language=intake.contact.language,
        email=intake.contact.email,
        phone=intake.contact.phone,
        updated_at=datetime.now(UTC),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["household_id"],
        set_={
            "language": stmt.excluded.language,
            "email": stmt.excluded.email,
            "phone": stmt.excluded.phone,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    await session.execute(stmt)


async def plan_delivery(
    session: AsyncSession,
    event: ReferralStatusChangedV1,
    *,
    source_event_id: UUID,
    program_names: dict[str, dict[str, str]],
) -> None:
    context = {
        "program_code": event.program_code,
        "program_name": program_names.get(event.program_code, {}),
        "status": event.to_status.value,
        "reason_code": event.reason_code.value if event.reason_code else None,
        "note": event.note,
        "referral_id": str(event.referral_id),
    }
    await session.execute(
        insert(deliveries)
        .values(
            id=uuid4(),
            source_event_id=source_event_id,
            referral_id=event.referral_id,
            household_id=event.household_id,
            channel="email",
            template=f"status_{event.to_status.value}",
            context=orjson.dumps(context).decode(),
            state="pending",
        )
        .on_conflict_do_nothing(index_elements=["source_event_id", "channel"])
    )


def backoff(attempt: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter (attempt 1 → up to 1 s, 2 → 2 s, ...)."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


class Dispatcher:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        send: Send,
        max_attempts: int,
        poll_seconds: float,
        on_staged: Callable[[], None],
    ) -> None:
        self._sessions = sessions
        self._send = send
        self._max_attempts = max_attempts
        self._poll = poll_seconds
        self._on_staged = on_staged

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await self.dispatch_due()
            except Exception:
                log.exception("dispatcher failed; retrying")
                handled = 0
                await asyncio.sleep(1.0)
            if not handled:
                await asyncio.sleep(self._poll)

    async def dispatch_due(self, limit: int = 20) -> int:
        async with self._sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(deliveries)
                    .where(
                        deliveries.c.state == "pending",
                        deliveries.c.next_attempt_at <= datetime.now(UTC),
                    )
                    .order_by(deliveries.c.next_attempt_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                await self._attempt(session, row)
        if rows:
            self._on_staged()
        return len(rows)

    async def _attempt(self, session: AsyncSession, row: Any) -> None:
        now = datetime.now(UTC)
        attempts = row.attempts + 1
        contact = (
            await session.execute(
                select(contacts).where(contacts.c.household_id == row.household_id)
            )
        ).first()
        ctx = orjson.loads(row.context)
        if contact is None or not contact.email:
            # The intake's contact may still be on its way: wait a little, then give up quietly.
            if attempts < self._max_attempts:
                await self._reschedule(session, row, attempts, "no consented e-mail contact yet")
            else:
                await self._finish(
                    session,
                    row,
                    attempts,
                    "skipped",
                    None,
                    "the resident gave no consented e-mail contact",
                )
            return
        names = ctx.get("program_name") or {}
        language = contact.language
        ctx["program_name"] = names.get(language) or names.get("id") or ctx["program_code"]
        message = render_status(ctx["status"], language, ctx)
        try:
            await self._send(contact.email, message)
        except Exception as exc:  # any SMTP or network failure is retried, then dead-lettered
            reason = f"{type(exc).__name__}: {mask(str(exc))[:300]}"
            if attempts < self._max_attempts:
                await self._reschedule(session, row, attempts, reason)
            else:
                await self._finish(session, row, attempts, "failed", contact.email, reason)
            return
        await self._finish(session, row, attempts, "sent", contact.email, None, sent_at=now)

    async def _reschedule(
        self, session: AsyncSession, row: Any, attempts: int, reason: str
    ) -> None:
        await session.execute(
            deliveries.update()
            .where(deliveries.c.id == row.id)
            .values(
                attempts=attempts,
                last_error=reason,
                next_attempt_at=datetime.now(UTC) + timedelta(seconds=backoff(attempts)),
            )
        )

    async def _finish(
        self,
        session: AsyncSession,
        row: Any,
        attempts: int,
        result: str,
        email: str | None,
        detail: str | None,
        sent_at: datetime | None = None,
    ) -> None:
        masked = mask(email) if email else None
        await session.execute(
            deliveries.update()
            .where(deliveries.c.id == row.id)
            .values(
                state=result,
                attempts=attempts,
                last_error=detail,
                sent_at=sent_at,
                recipient_masked=masked,
            )
        )
        event = NotificationDispatchedV1(
            notification_id=row.id,
            referral_id=row.referral_id,
            channel="email",
            recipient=masked or "-",
            template=row.template,
            result=result,
            attempts=attempts,
            detail=detail,
            dispatched_at=datetime.now(UTC),
        )
        await stage(session, outbox, [(NOTIFICATIONS_DISPATCHED, event)])
        log.info(
            "notification " + result,
            referral_id=str(row.referral_id),
            recipient=masked,
            template=row.template,
            attempts=attempts,
        )


async def list_deliveries(session: AsyncSession, referral_id: UUID) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(deliveries)
            .where(deliveries.c.referral_id == referral_id)
            .order_by(deliveries.c.created_at)
        )
    ).all()
    return [
        {
            "notification_id": r.id,
            "referral_id": r.referral_id,
            "channel": r.channel,
            "recipient": r.recipient_masked,
            "template": r.template,
            "state": r.state,
            "attempts": r.attempts,
            "last_error": r.last_error,
            "created_at": r.created_at,
            "sent_at": r.sent_at,
        }
        for r in rows
    ]
