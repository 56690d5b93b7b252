"""Use cases: remember consented contacts, plan deliveries per status change, dispatch them.

Planning happens in the consumer's transaction (so a redelivered event plans nothing twice:
``processed_events`` and a unique (source event, audience, channel) key); sending happens after,
in the dispatcher, which claims due rows with ``FOR UPDATE SKIP LOCKED`` and, per row:

1. finds the recipient (a resident's contact may still be on its way: wait, then skip);
2. defers SMS/WhatsApp in quiet hours and past the per-recipient rate limit (not an attempt);
3. reschedules without calling the provider while its circuit is open (not an attempt);
4. sends; a retryable failure is retried with exponential backoff and jitter until
   ``max_attempts``, then dead-lettered (state ``failed``); a permanent one fails at once.

Every step is a row in ``delivery_attempts``; every final result (sent, failed, skipped) is
published on ``notifications.dispatched`` through the outbox.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import orjson
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rujukan_contracts.events import (
    IntakeSubmittedV1,
    NotificationDispatchedV1,
    ReferralStatusChangedV1,
)
from rujukan_contracts.topics import NOTIFICATIONS_DISPATCHED
from rujukan_notifications import metrics
from rujukan_notifications.adapters.tables import (
    contacts,
    deliveries,
    delivery_attempts,
    inbox_messages,
    outbox,
)
from rujukan_notifications.domain.audience import (
    consented_channels,
    mask_recipient,
    normalize_phone,
    plan,
)
from rujukan_notifications.domain.channels import (
    PHONE_CHANNELS,
    Channel,
    ChannelName,
    DeliveryFailed,
)
from rujukan_notifications.domain.messages import Message, render, webhook_payload
from rujukan_notifications.domain.policies import CircuitBreaker, QuietHours, backoff
from rujukan_platform.logging import get_logger, mask
from rujukan_platform.outbox import stage
from rujukan_platform.paging import decode_cursor, encode_cursor
from rujukan_platform.problems import field_error

log = get_logger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


async def remember_contact(
    session: AsyncSession,
    intake: IntakeSubmittedV1,
    *,
    phone_channels: Sequence[ChannelName] = ("sms",),
) -> None:
    """Only contacts the resident consented to be told through ('notification' purpose), with
    the channels that consent covers (``consented_channels``); a later intake without that
    consent (or without a contact) withdraws the one kept."""
    channels = consented_channels(intake, phone_channels)
    if intake.contact is None or not channels:
        await session.execute(
            contacts.delete().where(contacts.c.household_id == intake.household_id)
        )
        return
    stmt = insert(contacts).values(
        household_id=intake.household_id,
        language=intake.contact.language,
        email=intake.contact.email if "email" in channels else None,
        phone=normalize_phone(intake.contact.phone),
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


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    max_attempts: int = 5
    failure_threshold: int = 5
    cooldown: timedelta = timedelta(seconds=60)
    rate_limit: int = 3
    rate_window: timedelta = timedelta(hours=1)
    quiet_hours: QuietHours | None = None
    operator_language: str = "id"


@dataclass(slots=True)
class _Recipient:
    address: str
    language: str


@dataclass(slots=True)
class _Step:
    """What one dispatch step decided, recorded as one ``delivery_attempts`` row."""

    outcome: str
    attempts: int
    detail: str | None = None
    provider: str | None = None
    duration_ms: int | None = None
    retry_at: datetime | None = None  # set: the delivery stays pending until then
    recipient: str | None = None


@dataclass(slots=True)
class _NoRecipient:
    reason: str
    may_come: bool = False  # the intake with the contact may still be on its way


class Dispatcher:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        channels: Mapping[str, Channel],
        policy: DeliveryPolicy,
        poll_seconds: float,
        on_staged: Callable[[], None],
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._channels = channels
        self._policy = policy
        self._poll = poll_seconds
        self._on_staged = on_staged
        self._clock = clock
        self.breakers: dict[str, CircuitBreaker] = {}

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
                        deliveries.c.next_attempt_at <= self._clock(),
                    )
                    .order_by(deliveries.c.next_attempt_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                await self._record(session, row, await self._step(session, row))
        if rows:
            self._on_staged()
        return len(rows)

    def breaker(self, provider: str) -> CircuitBreaker:
        if provider not in self.breakers:
            self.breakers[provider] = CircuitBreaker(
                threshold=self._policy.failure_threshold, cooldown=self._policy.cooldown
            )
        return self.breakers[provider]

    async def _step(self, session: AsyncSession, row: Any) -> _Step:
        now = self._clock()
        attempts = row.attempts + 1
        channel = self._channels.get(row.channel)
        if channel is None:
            return _Step("skipped", attempts, f"no {row.channel} provider is configured")
        found = await self._recipient(session, row)
        if isinstance(found, _NoRecipient):
            if found.may_come and attempts < self._policy.max_attempts:
                return _Step(
                    "waiting", attempts, f"{found.reason} yet", retry_at=now + _backoff(attempts)
                )
            return _Step("skipped", attempts, found.reason)
        masked = mask_recipient(row.channel, found.address)
        if row.channel in PHONE_CHANNELS:
            deferred = await self._deferral(session, row, now)
            if deferred is not None:
                until, why = deferred
                return _Step("deferred", row.attempts, why, retry_at=until)
        provider = channel.provider(found.address)
        breaker = self.breaker(provider)
        if not breaker.allows(now):
            retry_at = max(breaker.retry_at, now + timedelta(seconds=1))
            return _Step(
                "circuit_open", row.attempts, f"{provider} circuit open", provider, None, retry_at
            )
        message = replace(self._message(row, found.language), delivery_id=row.id)
        started = time.perf_counter()
        try:
            await channel.send(found.address, message)
            failure = None
        except DeliveryFailed as exc:
            failure = exc
        except Exception as exc:  # an unexpected error from a provider: assume it may pass
            failure = DeliveryFailed(f"{type(exc).__name__}: {exc}", retryable=True)
        elapsed = time.perf_counter() - started
        metrics.SEND_DURATION.labels(row.channel).observe(elapsed)
        if failure is not None and failure.retryable:
            breaker.failed(now)
        else:
            breaker.succeeded()
        metrics.CIRCUIT_STATE.labels(provider).set(metrics.CIRCUIT_VALUES[breaker.state])
        ms = round(elapsed * 1000)
        if failure is None:
            return _Step("sent", attempts, None, provider, ms, recipient=masked)
        reason = mask(str(failure))[:300]
        if failure.retryable and attempts < self._policy.max_attempts:
            return _Step("retry", attempts, reason, provider, ms, now + _backoff(attempts))
        return _Step("failed", attempts, reason, provider, ms, recipient=masked)

    async def _recipient(self, session: AsyncSession, row: Any) -> _Recipient | _NoRecipient:
        if row.audience != "resident":
            return _Recipient(row.address, self._policy.operator_language)
        contact = (
            await session.execute(
                select(contacts).where(contacts.c.household_id == row.household_id)
            )
        ).first()
        if contact is None:
            return _NoRecipient("no consented contact", may_come=True)
        address = contact.email if row.channel == "email" else contact.phone
        if row.channel not in contact.channels or not address:
            return _NoRecipient(f"the resident did not consent to {row.channel}")
        return _Recipient(address, contact.language)

    async def _deferral(
        self, session: AsyncSession, row: Any, now: datetime
    ) -> tuple[datetime, str] | None:
        """Quiet hours, then the per-recipient rate limit (SMS and WhatsApp to one household)."""
        quiet = self._policy.quiet_hours
        until = quiet.until(now) if quiet else None
        if quiet and until:
            return until, f"quiet hours until {until.astimezone(quiet.zone):%H:%M}"
        window = self._policy.rate_window
        sent = list(
            (
                await session.execute(
                    select(deliveries.c.sent_at)
                    .where(
                        deliveries.c.household_id == row.household_id,
                        deliveries.c.channel.in_(PHONE_CHANNELS),
                        deliveries.c.state == "sent",
                        deliveries.c.sent_at > now - window,
                    )
                    .order_by(deliveries.c.sent_at)
                )
            ).scalars()
        )
        if len(sent) < self._policy.rate_limit:
            return None
        limit = self._policy.rate_limit
        return sent[-limit] + window, f"rate limit: {limit} per {window.total_seconds():.0f} s"

    def _message(self, row: Any, language: str) -> Message:
        ctx = orjson.loads(row.context)
        if row.channel == "webhook":
            return Message(subject="referral.created", body=webhook_payload(ctx))
        names = ctx.get("program_name") or {}
        ctx["program_name"] = names.get(language) or names.get("id") or ctx["program_code"]
        return render(row.template, language, ctx)

    async def _record(self, session: AsyncSession, row: Any, step: _Step) -> None:
        now = self._clock()
        await session.execute(
            delivery_attempts.insert().values(
                delivery_id=row.id,
                attempt=step.attempts,
                outcome=step.outcome,
                provider=step.provider,
                detail=step.detail,
                duration_ms=step.duration_ms,
                at=now,
            )
        )
        metrics.ATTEMPTS.labels(row.channel, step.outcome).inc()
        if step.retry_at is not None:
            await session.execute(
                deliveries.update()
                .where(deliveries.c.id == row.id)
                .values(
                    attempts=step.attempts, last_error=step.detail, next_attempt_at=step.retry_at
                )
            )
            return
        result = step.outcome  # sent, failed or skipped
        await session.execute(
            deliveries.update()
            .where(deliveries.c.id == row.id)
            .values(
                state=result,
                attempts=step.attempts,
                last_error=step.detail,
                sent_at=now if result == "sent" else None,
                recipient_masked=step.recipient,
            )
        )
        event = NotificationDispatchedV1(
            notification_id=row.id,
            referral_id=row.referral_id,
            channel=row.channel,
            recipient=step.recipient or "-",
            template=row.template,
            result=result,
            attempts=step.attempts,
            detail=step.detail,
            dispatched_at=now,
        )
        await stage(session, outbox, [(NOTIFICATIONS_DISPATCHED, event)])
        metrics.DELIVERIES.labels(row.channel, result).inc()
        log.info(
            "notification " + result,
            referral_id=str(row.referral_id),
            channel=row.channel,
            audience=row.audience,
            recipient=step.recipient,
            template=row.template,
            attempts=step.attempts,
        )


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=backoff(attempts))


async def list_deliveries(session: AsyncSession, referral_id: UUID) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(deliveries)
            .where(deliveries.c.referral_id == referral_id)
            .order_by(deliveries.c.created_at, deliveries.c.id)
        )
    ).all()
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
