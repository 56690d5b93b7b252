"""Sending due deliveries: claim, send, record — no transaction or row lock across a send.

Each step below is a unit of work of its own (``NotificationsUnitOfWork``; the SQL is the
``DeliveryRepository``'s), committed before the next send begins:

0. **Sum up.** Residents' news whose visit's gathering window has closed becomes one message
   per visit: pending deliveries (``service_layer/digests.py``).
1. **Claim.** One short transaction, committed before any provider is called: up to ``batch``
   due rows become ``sending`` with a lease (``lease_until``) in this dispatcher's name
   (``claimed_by``), chosen with ``FOR UPDATE SKIP LOCKED`` so two dispatchers never claim one
   row. A row still ``sending`` when its lease has expired was left by a sender that died or
   stalled mid-send: it is *taken over* — a ``taken_over`` attempt (counted as an attempt, since
   a message may have gone out, so a delivery that kills its sender every time still ends) and
   ``rujukan_notifications_takeovers_total``.
2. **Send.** Outside any transaction, at most ``concurrency`` sends at once per provider. Per
   row: the recipient (a resident who withdrew consent to be told: skipped; a resident's contact
   may still be on its way: wait, up to ``max_attempts`` times, then skip — a wait is counted
   in ``attempts`` and in ``waits``, and spends none of the sends' budget, so a contact that
   came late still has every try of sending; sealed at rest, it is opened only now); quiet
   hours and the per-recipient rate limit for SMS/WhatsApp (deferred, not an attempt); the
   provider's circuit breaker (rescheduled, not an attempt); then the provider. A row that
   waited half its lease for a send slot goes back to ``pending`` unsent (``released``), and a
   send still running when the lease is nearly over is abandoned as a retryable failure: a
   claim is never taken over while its dispatcher lives.
3. **Record.** As soon as a send has its answer, in one short transaction with the results
   that came in while the last record was committing (group commit: one unit of work for many
   deliveries, not one each), guarded by the claim per row: only the dispatcher whose
   ``claimed_by`` and ``lease_until`` still match records; a row whose lease expired was taken
   over, and the late result is dropped (``rujukan_notifications_claims_lost_total``). A
   retryable failure is retried with exponential backoff and jitter until ``max_attempts`` sends
   (``attempts - waits``), then dead-lettered (``failed``); a permanent one fails at once.
   Every step is a row in ``delivery_attempts``; every final result (sent, failed, skipped) is
   published on ``notifications.dispatched`` through the outbox.

``Dispatcher.run`` keeps ``batches_in_flight`` of these claim-send-record loops going, so the
next batch is sent while the last one's slowest sends finish. The rate limit counts what is
stored and what its own batch decides: two batches in flight (or two dispatchers) that hold
phone messages for one household at once may pass it by one.

**A sender that died mid-send** (after the provider took the message, before the record) leaves
its row ``sending``. After the lease the row is taken over and sent again — at least once rather
than at most once: a resident who is never told of a decision is worse off than one told twice,
and a copy needs the crash to fall in the milliseconds between the provider's answer and our
commit. The copy carries the same idempotency handle, derived from the delivery id:

* **e-mail**: the same ``Message-ID: <delivery id@sender's domain>``. Mail stores and clients
  that dedupe (Gmail shows one message per Message-ID) show one; the others show two
  identical messages that thread as one;
* **SMS / WhatsApp**: the same ``Idempotency-Key: <delivery id>`` (and ``{id}`` in a generic
  gateway's template). A gateway that honours it drops the copy; Twilio's Messages API does not
  promise to, so there the resident may get the SMS twice;
* **webhook**: the same ``event_id`` in the signed body and ``X-Rujukan-Delivery`` header;
  agencies must drop an event id they have already handled (the webhook contract,
  ``adapters/webhooks.py``);
* **inbox**: the insert is keyed by the delivery id, so a second one changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import UUID, uuid4

import orjson

from rujukan_contracts.events import NotificationDispatchedV1
from rujukan_contracts.topics import NOTIFICATIONS_DISPATCHED
from rujukan_notifications import metrics
from rujukan_notifications.adapters.contacts import open_contact
from rujukan_notifications.adapters.repository import (
    Attempt,
    Claim,
    Claimed,
    SealedContact,
    Settled,
)
from rujukan_notifications.adapters.silence import Cancelled
from rujukan_notifications.domain import reasons
from rujukan_notifications.domain.audience import mask_recipient, told_in_person, undeliverable
from rujukan_notifications.domain.channels import (
    PHONE_CHANNELS,
    RESIDENT_CHANNELS,
    Channel,
    DeliveryFailed,
)
from rujukan_notifications.domain.deliveries import FinalState, Outcome, is_final
from rujukan_notifications.domain.messages import Message, render, webhook_payload
from rujukan_notifications.domain.policies import CircuitBreaker, QuietHours, backoff
from rujukan_notifications.service_layer.digests import sum_up_due
from rujukan_notifications.service_layer.unit_of_work import NotificationsUnitOfWork, UnitsOfWork
from rujukan_platform.failures import describe, is_transient
from rujukan_platform.group_commit import GroupCommit
from rujukan_platform.logging import get_logger, mask
from rujukan_platform.polling import IdlePoll
from rujukan_platform.sealing import Sealer, SealError

log = get_logger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    max_attempts: int = 5
    failure_threshold: int = 5
    cooldown: timedelta = timedelta(seconds=60)
    rate_limit: int = 3
    rate_window: timedelta = timedelta(hours=1)
    quiet_hours: QuietHours | None = None
    operator_language: str = "id"
    #: rows claimed at once
    batch: int = 100
    #: how long a claim holds: longer than a send may take (the providers' timeouts)
    lease: timedelta = timedelta(seconds=60)
    #: sends in flight at once per provider
    concurrency: int = 50
    #: claimed batches being sent at once (``Dispatcher.run``)
    batches_in_flight: int = 2
    #: results recorded in one unit of work at the most
    record_batch: int = 200


@dataclass(slots=True)
class _Step:
    """What one dispatch step decided, recorded as one ``delivery_attempts`` row."""

    outcome: Outcome
    attempts: int
    detail: str | None = None
    provider: str | None = None
    duration_ms: int | None = None
    retry_at: datetime | None = None  # set: the delivery goes back to pending until then
    recipient: str | None = None
    waited: bool = False  # for the resident's contact: one more of the delivery's ``waits``


@dataclass(slots=True)
class _Send:
    """A message to hand to a provider."""

    channel: Channel
    provider: str
    address: str
    message: Message
    attempts: int


@dataclass(slots=True)
class _Known:
    """What the claimed rows' steps read before any send: the residents' contacts, the
    households that withdrew consent to be told, and the SMS/WhatsApp each household got in the
    rate window (sends of this batch added as they are decided)."""

    contacts: dict[UUID, SealedContact]
    silenced: set[UUID]
    phone_sends: defaultdict[UUID, list[datetime]] = field(
        default_factory=lambda: defaultdict(list)
    )


#: a result waiting to be recorded, and the future its sender awaits
_Result = tuple[Claimed, _Step]


def dispatcher_id() -> str:
    """Who claims: the host, the process, and one instance of it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"


class Dispatcher:
    def __init__(
        self,
        *,
        unit_of_work: UnitsOfWork,
        channels: Mapping[str, Channel],
        policy: DeliveryPolicy,
        poll_seconds: float,
        sealer: Sealer,
        idle_poll_seconds: float | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.id = dispatcher_id()
        #: each claim, read and record is a unit of work of its own, committed before any send
        self.unit_of_work = unit_of_work
        self._sealer = sealer  # opens residents' contacts (sealed at rest) just before a send
        self._channels = channels
        #: what residents can be told through here (a channel with a provider)
        self._resident_channels = [c for c in RESIDENT_CHANNELS if c in channels]
        self._policy = policy
        #: looked at by the first loop, less often the longer nothing is due
        #: (``idle_poll_seconds`` at the most); the others wait until it finds work
        self._poll = IdlePoll(poll_seconds, idle_poll_seconds)
        self._clock = clock
        self.breakers: dict[str, CircuitBreaker] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        #: results waiting for the next group record, and the task recording them
        self._recorder = GroupCommit(
            self._record_batch, max_batch=policy.record_batch, name="dispatch-record"
        )

    async def run(self, stop: asyncio.Event) -> None:
        """``batches_in_flight`` claim-send-record loops side by side: the next batch is
        claimed and sent while the last one's slowest sends finish, so the provider's slots do
        not idle at the end of every batch."""
        loops = range(self._policy.batches_in_flight)
        await asyncio.gather(*(self._loop(stop, first=i == 0) for i in loops))

    def wake(self) -> None:
        """Deliveries were planned: look now rather than at the next poll."""
        self._poll.wake()

    async def _loop(self, stop: asyncio.Event, *, first: bool) -> None:
        """Claim, send and record while there is work; then the first loop polls (less often
        the longer nothing is due) and the others wait until it finds some."""
        while not stop.is_set():
            try:
                handled = await self.dispatch_due()
            except Exception:
                log.exception("dispatcher failed; retrying")
                handled = 0
                await asyncio.sleep(1.0)
            if first:  # the poll's interval is the first loop's: the others only wait
                self._poll.found(handled > 0)
            if handled:
                self._poll.wake()  # the other loops join in
            elif first:
                await self._poll.wait()
            else:
                while not stop.is_set() and not await self._poll.wait(self._poll.most):
                    pass

    async def dispatch_due(self) -> int:
        """Sum up residents' due news, claim due rows (committed), send them, record each
        result; the number claimed."""
        now = self._clock()
        async with self.unit_of_work() as uow:
            await sum_up_due(
                uow, now=now, offered=self._resident_channels, limit=self._policy.batch
            )
        rows = await self._claim(now)
        if not rows:
            return 0
        lease_until = min(r.lease_until for r in rows)
        known = await self._while_claimed(
            lease_until, lambda: self._known(rows, now), "reading contacts"
        )
        plans = [(row, self._decide(row, known, now)) for row in rows]
        steps = [
            self._record(row, plan) if isinstance(plan, _Step) else self._send(row, plan)
            for row, plan in plans
        ]
        for failed in await asyncio.gather(*steps, return_exceptions=True):
            if isinstance(failed, Exception):  # left `sending`: taken over after its lease
                log.error("recording a result failed", error=mask(repr(failed))[:300])
        return len(rows)

    def breaker(self, provider: str) -> CircuitBreaker:
        if provider not in self.breakers:
            self.breakers[provider] = CircuitBreaker(
                threshold=self._policy.failure_threshold, cooldown=self._policy.cooldown
            )
        return self.breakers[provider]

    # -- claim -------------------------------------------------------------------------------

    async def _claim(self, now: datetime) -> list[Claimed]:
        """Rows abandoned mid-send first (each taken over, an attempt counted), then due ones;
        committed before anything is sent."""
        claim = Claim(self.id, now, now + self._policy.lease, self._policy.batch)
        async with self.unit_of_work() as uow:
            taken = await uow.deliveries.claim_abandoned(claim)
            fresh = await uow.deliveries.claim_due(replace(claim, limit=claim.limit - len(taken)))
            if not taken and not fresh:
                return []  # nothing changed: nothing to commit
            await uow.deliveries.add_attempts(
                [
                    Attempt(
                        row.id,
                        row.attempts,
                        "taken_over",
                        now,
                        detail=reasons.taken_over(row.previous_claimant),
                    )
                    for row in taken
                ]
            )
            await uow.commit()
        for row in taken:
            metrics.TAKEOVERS.labels(row.channel).inc()
            metrics.ATTEMPTS.labels(row.channel, "taken_over").inc()
            log.warning(
                "delivery taken over",
                referral_id=str(row.referral_id),
                channel=row.channel,
                previous=row.previous_claimant,
                attempts=row.attempts,
            )
        return taken + fresh

    # -- decide ------------------------------------------------------------------------------

    async def _known(self, rows: Sequence[Claimed], now: datetime) -> _Known:
        households = {r.household_id for r in rows if r.audience == "resident"}
        phones = {r.household_id for r in rows if r.channel in PHONE_CHANNELS}
        since = now - self._policy.rate_window
        async with self.unit_of_work() as uow:
            known = _Known(
                await uow.contacts.of_households(households),
                await uow.silenced.among(households),
            )
            for household_id, sent_at in await uow.deliveries.phone_sends_since(phones, since):
                known.phone_sends[household_id].append(sent_at)
        return known

    def _decide(self, row: Claimed, known: _Known, now: datetime) -> _Step | _Send:
        """What to do with a claimed row, before any provider is called (in claim order, so
        the rate limit counts the sends this batch decides)."""
        attempts = row.attempts + 1
        if _sends(row, row.attempts) >= self._policy.max_attempts:
            # taken over after its last send (a wait for the contact is no send)
            return _Step("failed", row.attempts, reasons.SENDER_DIED)
        if row.audience == "resident" and row.household_id in known.silenced:
            # withdrawn after this row was planned: a row claimed before the withdrawal
            # cancelled what was pending, or left ``sending`` by a dispatcher that died
            return _Step("skipped", row.attempts, reasons.CANCELLED)
        channel = self._channels.get(row.channel)
        if channel is None:
            return _Step("skipped", attempts, reasons.no_provider(row.channel))
        if row.address is not None:  # staff, agencies, and a resident told in person
            address, language = row.address, self._policy.operator_language
        elif row.audience == "resident":
            found = self._resident(row, known, attempts, now)
            if isinstance(found, _Step):
                return found
            address, language = found
        else:  # every plan gives operators and agencies an address: a row altered by hand
            return _Step("failed", attempts, reasons.no_address(row.audience))
        if row.channel in PHONE_CHANNELS:
            deferred = self._deferral(known.phone_sends[row.household_id], now)
            if deferred is not None:
                until, why = deferred
                return _Step("deferred", row.attempts, why, retry_at=until)
            known.phone_sends[row.household_id].append(now)
        message = self._message(row, language)
        return _Send(channel, channel.provider(address), address, message, attempts)

    def _resident(
        self, row: Claimed, known: _Known, attempts: int, now: datetime
    ) -> tuple[str, str] | _Step:
        """The resident's address and language, the address opened here (sealed at rest): in
        the clear from now to the provider, in memory only. Or why it cannot be sent now."""
        contact = known.contacts.get(row.household_id)
        if contact is None:  # its own budget: waiting spends none of the sends'
            waits = row.waits + 1
            if waits < self._policy.max_attempts:
                retry_at = now + _contact_backoff(waits)
                why = reasons.NO_CONTACT_YET
                return _Step("waiting", attempts, why, retry_at=retry_at, waited=True)
            return _Step("skipped", attempts, reasons.NO_CONTACT)
        refused = _Step("skipped", attempts, reasons.channel_not_consented(row.channel))
        if row.channel not in contact.channels:
            return refused
        try:
            address = open_contact(
                self._sealer, "email" if row.channel == "email" else "phone", contact
            )
        except SealError as exc:  # a key left out of the settings, or an altered row
            log.error("a stored contact does not open", referral_id=str(row.referral_id))
            if (sends := _sends(row, attempts)) < self._policy.max_attempts:
                retry_at = now + _backoff(sends)
                unreadable = reasons.contact_unreadable(str(exc), final=False)
                return _Step("retry", attempts, unreadable, retry_at=retry_at)
            return _Step("failed", attempts, reasons.contact_unreadable(str(exc), final=True))
        return (address, contact.language) if address else refused

    def _deferral(self, sent: list[datetime], now: datetime) -> tuple[datetime, str] | None:
        """Quiet hours, then the per-recipient rate limit (SMS and WhatsApp to one household)."""
        quiet = self._policy.quiet_hours
        until = quiet.until(now) if quiet else None
        if quiet and until:
            return until, reasons.quiet_hours(f"{until.astimezone(quiet.zone):%H:%M}")
        limit, window = self._policy.rate_limit, self._policy.rate_window
        if len(sent) < limit:
            return None
        return sent[-limit] + window, reasons.rate_limit(limit, window.total_seconds())

    def _message(self, row: Claimed, language: str) -> Message:
        ctx = orjson.loads(row.context)
        if row.channel == "webhook":
            body = webhook_payload(ctx, event_id=row.id)
            return Message(subject="referral.created", body=body, delivery_id=row.id)
        rendered = render(row.template, language, ctx)
        return Message(rendered.subject, rendered.body, delivery_id=row.id)

    # -- send and record ---------------------------------------------------------------------

    async def _send(self, row: Claimed, send: _Send) -> None:
        """In one of the provider's slots, send; then record, the slot already free for the
        next send (the records share one unit of work, not one each)."""
        slots = self._slots.setdefault(send.provider, asyncio.Semaphore(self._policy.concurrency))
        async with slots:
            step = await self._attempt(row, send)
        await self._record(row, step)

    async def _attempt(self, row: Claimed, send: _Send) -> _Step:
        now = self._clock()
        if now >= row.lease_until - self._policy.lease / 2:
            return _Step("released", row.attempts, reasons.NO_SEND_SLOT, retry_at=now)
        breaker = self.breaker(send.provider)
        if not breaker.allows(now):
            retry_at = max(breaker.retry_at, now + timedelta(seconds=1))
            detail = reasons.circuit_open(send.provider)
            return _Step("circuit_open", row.attempts, detail, send.provider, retry_at=retry_at)
        # a send never outlives its claim: what is left of the lease, less a tenth to record
        budget = (row.lease_until - now - self._policy.lease / 10).total_seconds()
        started = time.perf_counter()
        try:
            async with asyncio.timeout(budget):
                await send.channel.send(send.address, send.message)
            failure = None
        except TimeoutError:
            failure = DeliveryFailed(reasons.no_answer(budget), retryable=True)
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
        metrics.CIRCUIT_STATE.labels(send.provider).set(metrics.CIRCUIT_VALUES[breaker.state])
        ms = round(elapsed * 1000)
        masked = mask_recipient(row.channel, send.address)
        attempts = send.attempts
        if failure is None:
            return _Step("sent", attempts, None, send.provider, ms, recipient=masked)
        said = mask(str(failure))[:300]
        if failure.retryable and (sends := _sends(row, attempts)) < self._policy.max_attempts:
            again = reasons.provider_failed(send.provider, said, final=False)
            return _Step("retry", attempts, again, send.provider, ms, now + _backoff(sends))
        final = reasons.provider_failed(send.provider, said, final=True)
        return _Step("failed", attempts, final, send.provider, ms, recipient=masked)

    async def _record(self, row: Claimed, step: _Step) -> None:
        """Recorded with the results that came in while the last record was committing: one
        unit of work for many deliveries instead of one each (``GroupCommit``). Returns once
        this one is committed, or raises what kept it from being."""
        await self._recorder.submit((row, step))

    async def _record_batch(self, results: list[_Result]) -> list[None]:
        lease_until = min(row.lease_until for row, _ in results)
        doing = f"recording {len(results)} results"
        await self._while_claimed(lease_until, lambda: self._record_once(results), doing)
        return [None] * len(results)

    async def _while_claimed(
        self, lease_until: datetime, work: Callable[[], Awaitable[T]], doing: str
    ) -> T:
        """``work``, riding out weather (PostgreSQL restarting, a lost connection) for as long
        as the claim lasts: a step left undone would have the rows taken over, and sent again,
        while their dispatcher lives. Past the lease they are someone else's: the error goes up.
        """
        delay = 0.2
        while True:
            try:
                return await work()
            except Exception as exc:
                left = (lease_until - self._clock()).total_seconds()
                if not is_transient(exc) or left <= delay:
                    raise
                metrics.DB_WAITS.inc()
                log.warning(
                    f"{doing} waits for the database", error=describe(exc), lease_left_s=round(left)
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _record_once(self, results: Sequence[_Result]) -> None:
        """In one unit of work, each only while its claim is still ours: the rows in one
        statement, the attempts in another."""
        now = self._clock()
        async with self.unit_of_work() as uow:
            ours = await uow.deliveries.settle(
                self.id, [_settled(row, step, now) for row, step in results]
            )
            recorded = [(row, step) for row, step in results if row.id in ours]
            await uow.deliveries.add_attempts(
                [
                    Attempt(
                        row.id,
                        step.attempts,
                        step.outcome,
                        now,
                        step.provider,
                        step.detail,
                        step.duration_ms,
                    )
                    for row, step in recorded
                ]
            )
            tasked = {row.id for row, step in recorded if await _ended(uow, row, step, now)}
            await uow.commit()
        for row, step in results:
            if row.id not in ours:
                metrics.CLAIMS_LOST.labels(row.channel).inc()
                log.warning(
                    "claim lost: the delivery was taken over, its result is not recorded",
                    referral_id=str(row.referral_id),
                    channel=row.channel,
                    outcome=step.outcome,
                )
                continue
            if row.id in tasked:
                metrics.TOLD_IN_PERSON.labels("undeliverable").inc()
            metrics.ATTEMPTS.labels(row.channel, step.outcome).inc()
            if step.retry_at is None:
                metrics.DELIVERIES.labels(row.channel, step.outcome).inc()
                # a routine send is counted, recorded (delivery_attempts) and published
                # (notifications.dispatched); logging, nearly all of it this line, was a tenth
                # of the process's busy time under the pipeline benchmark (py-spy). What went
                # otherwise is worth an operator's eye
                (log.debug if step.outcome == "sent" else log.info)(
                    "notification " + step.outcome,
                    referral_id=str(row.referral_id),
                    channel=row.channel,
                    audience=row.audience,
                    recipient=step.recipient,
                    template=row.template,
                    attempts=step.attempts,
                )


def _settled(row: Claimed, step: _Step, now: datetime) -> Settled:
    """The row's result as the repository writes it: rescheduled, or ended."""
    if step.retry_at is not None:
        return Settled(
            row.id,
            row.lease_until,
            "pending",
            step.attempts,
            step.detail,
            next_attempt_at=step.retry_at,
            waited=step.waited,
        )
    assert is_final(step.outcome), step.outcome  # a step not rescheduled ends it
    sent_at = now if step.outcome == "sent" else None
    return Settled(
        row.id,
        row.lease_until,
        step.outcome,
        step.attempts,
        step.detail,
        recipient_masked=step.recipient,
        sent_at=sent_at,
    )


async def _ended(uow: NotificationsUnitOfWork, row: Claimed, step: _Step, now: datetime) -> bool:
    """What a recorded final result brings: ``notifications.dispatched`` through the outbox,
    and, for a resident's message that failed for good, maybe the village Puskesos' task to
    tell them in person (returns whether it was asked)."""
    if not is_final(step.outcome):  # rescheduled
        return False
    uow.publish(
        NOTIFICATIONS_DISPATCHED,
        dispatched(row, step.outcome, step.attempts, step.recipient, step.detail, now),
    )
    if step.outcome == "failed" and row.audience == "resident":
        sends = _sends(row, step.attempts)  # what the Puskesos reads: tries to send
        return await _tell_in_person_unless_reached(uow, row, sends, now)
    return False


async def _tell_in_person_unless_reached(
    uow: NotificationsUnitOfWork, row: Claimed, sends: int, now: datetime
) -> bool:
    """A resident's message failed for good: when no other channel has reached them or still
    may, the village Puskesos is asked to tell them in person (once per message: the task is
    unique per message, audience and channel, like every delivery)."""
    ctx = orjson.loads(row.context)
    if row.channel == "inbox" or "news" not in ctx:  # a task itself, or planned before news
        return False
    if await uow.deliveries.reach_left(row.source_event_id):
        return False
    why = undeliverable(row.channel, sends)
    await uow.deliveries.add_planned(
        source_event_id=row.source_event_id,
        referral_id=row.referral_id,
        household_id=row.household_id,
        planned=[told_in_person(ctx["village_code"], why)],
        context=orjson.dumps(ctx | {"unreachable_detail": why.detail}).decode(),
        due=now,
    )
    return True


def dispatched(
    delivery: Claimed | Cancelled,
    result: FinalState,
    attempts: int,
    recipient: str | None,
    detail: str | None,
    at: datetime,
) -> NotificationDispatchedV1:
    """A delivery's final result as ``notifications.dispatched`` carries it, whoever ended it
    (the dispatcher, a consent withdrawal); ``recipient`` masked, ``-`` when none was reached."""
    return NotificationDispatchedV1(
        notification_id=delivery.id,
        referral_id=delivery.referral_id,
        channel=delivery.channel,
        recipient=recipient or "-",
        template=delivery.template,
        result=result,
        attempts=attempts,
        detail=detail,
        dispatched_at=at,
    )


def _sends(row: Claimed, attempts: int) -> int:
    """Of ``attempts``, those that tried (or may have tried) to send: waits for the resident's
    contact spend none of ``max_attempts``."""
    return attempts - row.waits


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=backoff(attempts))


def _contact_backoff(waits: int) -> timedelta:
    """How long a resident's delivery waits for their contact before looking again: up to 1 s,
    then 2 to 4 s, 8 to 16 s and 30 to 60 s, so the waits of ``max_attempts`` (5) span 40 to
    80 s in all. A contact usually comes within a second, but on its own topic and consumer: a
    killed one holds it back for its group's session timeout (30 s) and a rebalance, longer
    than the sends' backoff would wait (at most 15 s in all), and a resident's message must not
    be skipped for that."""
    ceiling = min(4.0 ** (waits - 1), 60.0)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))
