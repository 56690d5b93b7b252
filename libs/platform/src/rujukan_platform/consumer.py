"""The consumer runner: no record, outage or bug stops a consumer.

Every consumer of every service runs through ``ConsumerRunner``. A polled batch goes through
small steps, in order:

1. **decode** — CloudEvents headers, a known and handled type, data valid for its model; a
   record that fails here can never succeed: it is poison at once;
2. **apply** — the decoded events in one unit of work (``uow.UnitOfWork``):
   ``processed_events`` makes a redelivered event a no-op, then each fresh event goes to its
   handler in the service's table (``handlers.Handlers``: one at a time in offset order, or a
   type's batch form with all of its events at once); the unit stages the events the handlers
   raise and commits. When the unit fails:

   * *weather* (``failures.is_transient``: database or broker unreachable or starting up,
     deadlocks, timeouts) — every assigned partition is paused and the same batch retried with
     backoff; nothing is committed meanwhile, the process stays up and ``/readyz`` says what
     the consumer waits for;
   * anything else — the batch is replayed one record per transaction to isolate the record
     at fault, which gets ``max_attempts`` tries (a handler's ``InvalidMessage``: one) and is
     then poison;
3. **dead-letter** — poison goes to ``<topic>.dlq`` with the reason (``dlq_reason`` in English,
   ``dlq_reason_id`` in Indonesian where the failure says it in both languages: an agency
   reads its own outcomes DLQ; a refused field in the words of the API's problem details,
   ``reasons.field_reason``), the exception class, the source topic/partition/offset, the
   first and last failure time and the number of tries, credentials stripped. A partition
   that dead-letters faster than its ``DlqLimit`` allows is paused at that record for a
   cool-down instead (``rujukan_consumer_paused`` raises an alert): a handler that fails every
   record does not drain the topic into the DLQ;
4. **commit** — offsets up to the first record not done, after the database commit; again when
   partitions are revoked (after the batch in flight) and on shutdown.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeAlias, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError
from aiokafka.structs import ConsumerRecord
from opentelemetry.trace import Span
from pydantic import ValidationError

from rujukan_contracts.envelope import EnvelopeError, EventMeta, read_cloudevent
from rujukan_contracts.events import Event, event_model
from rujukan_contracts.text import Localised
from rujukan_platform import metrics, telemetry
from rujukan_platform.failures import describe, is_transient, root_cause
from rujukan_platform.handlers import Handlers, Received
from rujukan_platform.logging import get_logger
from rujukan_platform.reasons import field_path, field_reason
from rujukan_platform.uow import Envelope, UnitOfWork

log = get_logger(__name__)

E = TypeVar("E", bound=Event)
T = TypeVar("T")
Record: TypeAlias = ConsumerRecord[bytes, bytes]

#: Record headers that carry credentials: never copied to a dead-letter topic.
SENSITIVE_HEADERS = frozenset({"authorization", "x-api-key"})


class InvalidMessage(Exception):
    """This message can never succeed: dead-letter it and carry on. ``why`` in both languages
    where the writer reads the DLQ (an agency, its outcomes); the message is the English."""

    def __init__(self, why: str | Localised) -> None:
        super().__init__(why.en if isinstance(why, Localised) else why)
        self.why = why

    @property
    def reason_id(self) -> str | None:
        """The reason in Indonesian, when it was given in both languages."""
        return self.why.id if isinstance(self.why, Localised) else None


@dataclass(frozen=True, slots=True)
class DlqLimit:
    """How fast one partition may dead-letter (arroyo's DlqLimit): at most ``max_consecutive``
    records in a row, or ``max_ratio`` of the last ``window``. Past it the partition pauses for
    ``pause_seconds`` (doubling while it keeps tripping, up to ``max_pause_seconds``)."""

    max_consecutive: int = 100
    max_ratio: float = 0.5
    window: int = 1000
    pause_seconds: float = 60.0
    max_pause_seconds: float = 1800.0


@dataclass
class ConsumerSpec:
    """One named consumer: its topics, its group, and the part of the service's handler table
    it applies (``Handlers.only``: the event types its topics carry).

    ``pattern`` subscribes to every topic whose name matches (one per program, say), new ones
    included as the client's metadata refreshes; ``topics`` is then empty."""

    name: str
    topics: list[str]
    handlers: Handlers[Any]
    pattern: str | None = None
    group_id: str | None = None
    dlq_limit: DlqLimit = field(default_factory=DlqLimit)
    #: event types its topics carry that this consumer has no business with: skipped, while a
    #: type nobody knows (a version from the future, a typo) still goes to the DLQ
    passes_over: tuple[type[Event], ...] = ()
    #: tries a record gets when its handler fails (weather does not count)
    max_attempts: int = 3
    #: nobody waits on its effects within a second (a resident's news gathered for a minute,
    #: a view): the broker holds its fetches until the ``consumer_patient_fetch_*`` settings'
    #: bytes are there or their wait has passed, so it wakes for batches rather than for every
    #: record, and leaves the cores to the consumers a person waits on (the router's intakes)
    patient: bool = False

    @property
    def group(self) -> str:
        return self.group_id or self.name


@dataclass(slots=True)
class _Decoded:
    record: Record
    envelope: Envelope
    event: Event
    #: the CONSUMER span it is applied in (tracing on); ``envelope.traceparent`` is its context
    span: Span | None = None

    @property
    def meta(self) -> EventMeta:
        return self.envelope.meta


@dataclass(slots=True)
class Poison:
    """A record that will fail again, and what is known of its failures."""

    record: Record
    reason: str
    exception: str
    attempts: int = 1
    first_failed_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_failed_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: ``reason`` in Indonesian, when the failure said it in both languages
    reason_id: str | None = None

    def headers(self, consumer: str) -> list[tuple[str, bytes]]:
        kept = [(k, v) for k, v in self.record.headers or () if k.lower() not in SENSITIVE_HEADERS]
        return [
            *kept,
            ("dlq_reason", self.reason[:1000].encode()),
            ("dlq_reason_id", (self.reason_id or self.reason)[:1000].encode()),
            ("dlq_exception", self.exception.encode()),
            ("dlq_consumer", consumer.encode()),
            ("dlq_source_topic", self.record.topic.encode()),
            ("dlq_source_partition", str(self.record.partition).encode()),
            ("dlq_source_offset", str(self.record.offset).encode()),
            ("dlq_first_failed_at", self.first_failed_at.isoformat().encode()),
            ("dlq_last_failed_at", self.last_failed_at.isoformat().encode()),
            ("dlq_attempts", str(self.attempts).encode()),
            # kept for tools written against the first DLQ format
            ("dlq_failed_at", self.last_failed_at.isoformat().encode()),
        ]


class DlqGuard:
    """One partition's dead-letter rate against its ``DlqLimit``. A trip is remembered until a
    record succeeds, so a partition resumed after its pause trips again at once if the handler
    still fails."""

    def __init__(self, limit: DlqLimit) -> None:
        self.limit = limit
        self.consecutive = 0
        self.recent: deque[bool] = deque(maxlen=limit.window)
        self.trips = 0

    def record(self, dead: bool) -> None:
        self.recent.append(dead)
        self.consecutive = self.consecutive + 1 if dead else 0
        if not dead:
            self.trips = 0

    def allows_another(self) -> bool:
        """Whether one more dead letter stays within the limit."""
        if self.consecutive + 1 >= self.limit.max_consecutive:
            return False
        if len(self.recent) == self.recent.maxlen:
            dead = sum(self.recent) - self.recent[0] + 1  # the oldest drops out of the window
            return dead / len(self.recent) <= self.limit.max_ratio
        return True

    def trip(self) -> float:
        """Seconds to pause for this trip."""
        self.trips += 1
        pause = self.limit.pause_seconds * 2 ** (self.trips - 1)
        return float(min(pause, self.limit.max_pause_seconds))


class _Abandoned(Exception):
    """The batch was given up (stopping, or its partitions were revoked during an outage):
    nothing of it is committed, so it is read again."""


class _Ignored(Exception):
    pass


@dataclass(slots=True)
class _Hold:
    offset: int
    until: float  # time.monotonic()


@dataclass(slots=True)
class _Applied:
    staged: int = 0
    consumed: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, other: _Applied) -> None:
        self.staged += other.staged
        self.consumed.update(other.consumed)


def _ce_id(record: Record) -> str | None:
    """The record's ``ce_id`` header as sent (binary mode)."""
    return next(
        (v.decode("utf-8", "replace") for k, v in record.headers or () if k == "ce_id"), None
    )


def _position(record: Record) -> dict[str, Any]:
    """Where ``record`` stands, as a log line names it."""
    return {"topic": record.topic, "partition": record.partition, "offset": record.offset}


class ConsumerRunner:
    def __init__(
        self,
        spec: ConsumerSpec,
        *,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        unit_of_work: Callable[[], UnitOfWork],
        batch_timeout_ms: int = 200,
        max_records: int = 500,
        max_backoff_seconds: float = 10.0,
    ) -> None:
        self.spec = spec
        self._log = log.bind(consumer=spec.name)
        self._consumer = consumer
        self._producer = producer
        self._unit_of_work = unit_of_work
        self._batch_timeout_ms = batch_timeout_ms
        self._max_records = max_records
        self._max_backoff = max_backoff_seconds
        self._lock = asyncio.Lock()
        self._guards: dict[TopicPartition, DlqGuard] = {}
        self._holds: dict[TopicPartition, _Hold] = {}
        self._abandon = False
        #: why the consumer cannot make progress right now (``None``: it can)
        self.waiting_for: str | None = None
        self.last_poll = time.monotonic()

    # -- the loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        listener = _CommitOnRevoke(self)
        if self.spec.pattern:
            self._consumer.subscribe(pattern=self.spec.pattern, listener=listener)
        else:
            self._consumer.subscribe(self.spec.topics, listener=listener)
        self._log.info(
            "consumer started",
            topics=self.spec.topics or f"/{self.spec.pattern}/",
        )
        backoff = 0.2
        while not stop.is_set():
            self._resume_cooled_down()
            try:
                batch = await self._consumer.getmany(
                    timeout_ms=self._batch_timeout_ms, max_records=self._max_records
                )
            except Exception as exc:  # the broker: never a reason to stop the process
                self._waiting(f"broker: {describe(exc)}")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff = 0.2
            self.last_poll = time.monotonic()
            if not batch:
                continue
            async with self._lock:
                self._abandon = False
                try:
                    await self._handle_batch(batch, stop)
                except _Abandoned:
                    self._rewind(batch)
            self._update_lag(batch)

    async def _handle_batch(
        self, batch: dict[TopicPartition, list[Record]], stop: asyncio.Event
    ) -> None:
        """The steps, in order: decode, apply, dead-letter (or hold), commit offsets."""
        started = time.perf_counter()
        decoded, poison = self._decode_all(batch)
        applied = await self._apply(decoded, poison, stop)
        held = await self._dead_letter_all(poison, stop)
        self._note_successes(batch, poison, held)
        await self._commit({tp: held.get(tp, recs[-1].offset + 1) for tp, recs in batch.items()})
        for tp, offset in held.items():
            self._consumer.seek(tp, offset)
        self._observe(applied, decoded, started)

    def _observe(self, applied: _Applied, decoded: list[_Decoded], started: float) -> None:
        for (topic, outcome), n in applied.consumed.items():
            metrics.EVENTS_CONSUMED.labels(self.spec.name, topic, outcome).inc(n)
        metrics.EVENT_PROCESSING.labels(consumer=self.spec.name).observe(
            time.perf_counter() - started
        )
        now = datetime.now(UTC)
        latency = metrics.EVENT_LATENCY.labels(consumer=self.spec.name)
        for d in decoded:
            latency.observe(max(0.0, (now - d.meta.time).total_seconds()))

    # -- step 1: decode ------------------------------------------------------------------

    def _decode_all(
        self, batch: dict[TopicPartition, list[Record]]
    ) -> tuple[list[_Decoded], list[Poison]]:
        decoded: list[_Decoded] = []
        poison: list[Poison] = []
        for records in batch.values():
            for record in records:
                try:
                    decoded.append(self._decode(record))
                except InvalidMessage as exc:
                    poison.append(
                        Poison(record, str(exc), "InvalidMessage", reason_id=exc.reason_id)
                    )
                except _Ignored:
                    pass
        return decoded, poison

    def _decode(self, record: Record) -> _Decoded:
        """The record as an event of a type this consumer handles (binary or structured
        CloudEvents mode); ``InvalidMessage`` says why not."""
        try:
            cloudevent = read_cloudevent(list(record.headers or ()), record.value)
        except (EnvelopeError, ValueError) as exc:
            raise InvalidMessage(str(exc)) from exc
        meta = cloudevent.meta
        model = event_model(meta.type)
        if model is None or model not in self.spec.handlers:
            if model in self.spec.passes_over:
                raise _Ignored
            raise InvalidMessage(
                Localised(
                    f"tidak ada penangan untuk jenis peristiwa {meta.type!r}",
                    f"no handler for event type {meta.type!r}",
                )
            )
        if record.value is None:
            raise InvalidMessage(Localised("rekaman tanpa isi", "record has no value"))
        try:
            event = model.model_validate_json(cloudevent.data)
        except ValidationError as exc:
            first, count = exc.errors()[0], exc.error_count()
            where, why = field_path(first["loc"], whole="value"), field_reason(first)
            raise InvalidMessage(
                Localised(
                    f"{meta.type} tidak sah: {where}: {why.id} ({count} kesalahan)",
                    f"invalid {meta.type}: {where}: {why.en} ({count} errors)",
                )
            ) from exc
        envelope = Envelope(meta, record.topic, record.partition, record.offset, cloudevent.data)
        return _Decoded(record, envelope, event)

    # -- step 2: apply -------------------------------------------------------------------

    async def _apply(
        self, decoded: list[_Decoded], poison: list[Poison], stop: asyncio.Event
    ) -> _Applied:
        """Apply the batch in one transaction; when that fails for a reason other than
        weather, one record per transaction, collecting the records at fault as poison."""
        if not decoded:
            return _Applied()
        try:
            return await self._until_done(lambda: self._transaction(decoded), stop)
        except _Abandoned:
            raise
        except Exception as exc:
            self._log.warning(
                "batch failed; applying it one record at a time",
                records=len(decoded),
                error=describe(exc),
            )
        applied = _Applied()
        for d in decoded:
            result = await self._apply_one(d, stop)
            if isinstance(result, Poison):
                poison.append(result)
            else:
                applied.add(result)
        return applied

    async def _apply_one(self, d: _Decoded, stop: asyncio.Event) -> _Applied | Poison:
        first_failed: datetime | None = None
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._until_done(lambda: self._transaction([d]), stop)
            except _Abandoned:
                raise
            except Exception as exc:
                now = datetime.now(UTC)
                first_failed = first_failed or now
                final = isinstance(exc, InvalidMessage) or attempt >= self.spec.max_attempts
                metrics.CONSUMER_RECORD_FAILURES.labels(consumer=self.spec.name).inc()
                if final:
                    invalid = exc if isinstance(exc, InvalidMessage) else None
                    reason = str(exc) if invalid else describe(exc)
                    name = type(root_cause(exc)).__name__
                    reason_id = invalid.reason_id if invalid else None
                    return Poison(d.record, reason, name, attempt, first_failed, now, reason_id)
                self._log.warning(
                    "record failed; trying again",
                    **_position(d.record),
                    attempt=attempt,
                    error=describe(exc),
                )
                await asyncio.sleep(min(0.1 * 2**attempt, 2.0))

    async def _transaction(self, decoded: list[_Decoded]) -> _Applied:
        traced = self._traced(decoded)
        with telemetry.ended([d.span for d in traced if d.span is not None]):
            async with self._unit_of_work() as uow:
                applied = await self._apply_in(uow, traced)
                applied.staged = await uow.commit()
                return applied

    def _traced(self, decoded: list[_Decoded]) -> list[_Decoded]:
        """With tracing on, each record in a CONSUMER span of its own (the child of its
        header's context), whose context the events its handler raises carry; the spans of a
        batch last as long as its transaction."""
        if not telemetry.enabled():
            return decoded
        traced = []
        for d in decoded:
            r = d.record
            span = telemetry.consumer_span(
                topic=r.topic,
                partition=r.partition,
                offset=r.offset,
                group=self.spec.group,
                message_id=_ce_id(r) or str(d.meta.id),
                traceparent=d.meta.traceparent,
            )
            meta = replace(d.meta, traceparent=telemetry.traceparent_of(span))
            traced.append(replace(d, envelope=replace(d.envelope, meta=meta), span=span))
        return traced

    async def _apply_in(self, uow: UnitOfWork, decoded: list[_Decoded]) -> _Applied:
        """Deduplicate (``processed_events``), then handle each fresh event in offset order:
        one at a time, or, for a type with a batch handler, each run of consecutive events of
        the type at once (an event of another type between them is applied between them)."""
        fresh = await uow.first_time(self.spec.name, [d.meta.id for d in decoded])
        applied = _Applied()
        run: list[_Decoded] = []
        handlers = self.spec.handlers

        async def flush() -> None:
            uow.cause = None
            if run:
                # a run of one is that record's work alone: its span is the active one
                lone = (run[0].span, run[0].meta.traceparent) if len(run) == 1 else (None, None)
                received = [Received(d.event, d.envelope) for d in run]
                with telemetry.handling(*lone):
                    await handlers.handle_many(type(run[0].event), received, uow)
                run.clear()

        for d in decoded:
            if d.meta.id not in fresh:
                applied.consumed[(d.record.topic, "duplicate")] += 1
                continue
            fresh.discard(d.meta.id)  # a second copy within the batch is a duplicate too
            applied.consumed[(d.record.topic, "processed")] += 1
            if handlers.batched(type(d.event)):
                if run and type(run[0].event) is not type(d.event):
                    await flush()
                run.append(d)
            else:
                await flush()
                uow.cause = d.envelope
                with telemetry.handling(d.span, d.meta.traceparent):
                    await handlers.handle(d.event, uow)
        await flush()
        return applied

    # -- weather ---------------------------------------------------------------------------

    async def _until_done(self, work: Callable[[], Awaitable[T]], stop: asyncio.Event) -> T:
        """Run ``work`` until it succeeds or fails for a reason other than weather; while the
        weather lasts, every assigned partition is paused and ``waiting_for`` says why."""
        backoff = 0.2
        while True:
            try:
                result = await work()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                metrics.CONSUMER_RETRIES.labels(consumer=self.spec.name).inc()
                self._waiting(describe(exc))
                self._log.warning(
                    "transient failure; retrying",
                    error=describe(exc),
                    backoff_seconds=backoff,
                )
                if stop.is_set() or self._abandon:
                    raise _Abandoned from exc
                await self._wait_out(backoff)
                if stop.is_set() or self._abandon:
                    raise _Abandoned from exc
                backoff = min(backoff * 2, self._max_backoff)
            else:
                if self.waiting_for is not None:
                    self._clear_waiting()
                return result

    async def _wait_out(self, seconds: float) -> None:
        """Sleep through an outage with every partition paused, still polling so the group
        keeps this member (a poll that returns records — a partition assigned meanwhile —
        puts them back)."""
        assigned = self._consumer.assignment()
        self._consumer.pause(*assigned)
        try:
            found = await self._consumer.getmany(timeout_ms=int(seconds * 1000))
        except Exception:  # the broker is part of the weather: just wait
            await asyncio.sleep(seconds)
            return
        for tp, records in found.items():
            self._consumer.seek(tp, records[0].offset)
            self._consumer.pause(tp)

    def _waiting(self, why: str) -> None:
        if self.waiting_for is None:
            metrics.CONSUMER_WAITING.labels(consumer=self.spec.name).set(1)
        self.waiting_for = why

    def _clear_waiting(self) -> None:
        self.waiting_for = None
        metrics.CONSUMER_WAITING.labels(consumer=self.spec.name).set(0)
        resumable = [tp for tp in self._consumer.assignment() if tp not in self._holds]
        self._consumer.resume(*resumable)
        self._log.info("consumer resumed after a transient failure")

    def _rewind(self, batch: dict[TopicPartition, list[Record]]) -> None:
        """Read an abandoned batch again from its first record."""
        assigned = self._consumer.assignment()
        for tp, records in batch.items():
            if tp in assigned:
                self._consumer.seek(tp, records[0].offset)
        if self.waiting_for is not None:
            self._clear_waiting()

    # -- step 3: dead-letter -------------------------------------------------------------

    async def _dead_letter_all(
        self, poison: list[Poison], stop: asyncio.Event
    ) -> dict[TopicPartition, int]:
        """Dead-letter the batch's poison in offset order; returns the partitions held (past
        their DLQ limit) and the offset each stopped at."""
        poison.sort(key=lambda p: (p.record.topic, p.record.partition, p.record.offset))
        held: dict[TopicPartition, int] = {}
        for p in poison:
            tp = TopicPartition(p.record.topic, p.record.partition)
            if tp in held:
                continue  # the partition stopped at an earlier record: this one is read again
            if not await self._dead_letter_or_hold(p, stop):
                held[tp] = p.record.offset
        return held

    def _note_successes(
        self,
        batch: dict[TopicPartition, list[Record]],
        poison: list[Poison],
        held: dict[TopicPartition, int],
    ) -> None:
        """Each partition's DLQ guard learns of the records that succeeded."""
        dead = {(p.record.topic, p.record.partition, p.record.offset) for p in poison}
        for tp, records in batch.items():
            guard, stop_at = self._guard(tp), held.get(tp)
            for r in records:
                if stop_at is not None and r.offset >= stop_at:
                    break
                if (r.topic, r.partition, r.offset) not in dead:
                    guard.record(False)

    async def _dead_letter_or_hold(self, poison: Poison, stop: asyncio.Event) -> bool:
        """Dead-letter ``poison``; or, past the partition's DLQ limit, pause the partition at
        it and return False."""
        record = poison.record
        tp = TopicPartition(record.topic, record.partition)
        guard = self._guard(tp)
        if not guard.allows_another():
            pause = guard.trip()
            self._holds[tp] = _Hold(record.offset, time.monotonic() + pause)
            self._consumer.pause(tp)
            metrics.CONSUMER_PAUSED.labels(self.spec.name, tp.topic, str(tp.partition)).set(1)
            self._log.error(
                "dead-lettering too fast; partition paused",
                **_position(record),
                pause_seconds=pause,
                reason=poison.reason,
            )
            return False
        await self._until_done(lambda: self._send_dead_letter(poison), stop)
        guard.record(True)
        return True

    async def _send_dead_letter(self, poison: Poison) -> None:
        record = poison.record
        await self._producer.send_and_wait(
            f"{record.topic}.dlq",
            value=record.value,
            key=record.key,
            headers=poison.headers(self.spec.name),
        )
        metrics.DLQ_MESSAGES.labels(self.spec.name, record.topic).inc()
        metrics.EVENTS_CONSUMED.labels(self.spec.name, record.topic, "dlq").inc()
        self._log.warning(
            "message dead-lettered",
            **_position(record),
            attempts=poison.attempts,
            exception=poison.exception,
            reason=poison.reason,
        )

    def _guard(self, tp: TopicPartition) -> DlqGuard:
        guard = self._guards.get(tp)
        if guard is None:
            guard = self._guards[tp] = DlqGuard(self.spec.dlq_limit)
        return guard

    def _resume_cooled_down(self) -> None:
        now = time.monotonic()
        for tp, hold in list(self._holds.items()):
            if hold.until <= now:
                self.release(tp)
                self._log.info(
                    "partition resumed after its DLQ pause",
                    topic=tp.topic,
                    partition=tp.partition,
                    offset=hold.offset,
                )

    def release(self, tp: TopicPartition) -> None:
        """End a partition's DLQ pause (cool-down over, or the partition moved away)."""
        if self._holds.pop(tp, None) is None:
            return
        metrics.CONSUMER_PAUSED.labels(self.spec.name, tp.topic, str(tp.partition)).set(0)
        if tp in self._consumer.assignment() and self.waiting_for is None:
            self._consumer.resume(tp)

    # -- step 4: commit ------------------------------------------------------------------

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError:
            # The group rebalanced while we worked: the new owner re-reads these records and
            # processed_events makes that harmless.
            self._log.warning("commit failed after a rebalance")
        except Exception as exc:
            # The broker is away: the next batch's commit covers these offsets, and a record
            # read again after a restart is a duplicate that processed_events ignores.
            self._log.warning(
                "commit failed; later commits cover it",
                error=describe(exc),
            )

    # -- state for operators ---------------------------------------------------------------

    def problems(self) -> list[str]:
        """Why this consumer is not fully working right now (empty: it is)."""
        found = [f"waiting: {self.waiting_for}"] if self.waiting_for else []
        found += [
            f"{tp.topic}:{tp.partition} paused at offset {hold.offset}: dead-lettering too fast"
            for tp, hold in self._holds.items()
        ]
        return found

    def _update_lag(self, batch: dict[TopicPartition, list[Record]]) -> None:
        for tp, recs in batch.items():
            high = self._consumer.highwater(tp)
            if high is not None and recs:
                metrics.CONSUMER_LAG.labels(self.spec.name, tp.topic, str(tp.partition)).set(
                    max(0, high - (recs[-1].offset + 1))
                )

    async def wait_idle(self) -> None:
        """Wait for the batch in flight (its offsets are committed when it ends)."""
        async with self._lock:
            return

    def revoked(self, partitions: list[TopicPartition]) -> None:
        """Partitions moved away: give up a batch stuck on weather (the new owner reads it),
        forget their pauses and rate guards."""
        if self.waiting_for is not None:
            self._abandon = True
        for tp in partitions:
            self.release(tp)
            self._guards.pop(tp, None)


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Batches commit as they end; on revoke, wait for the one in flight so its commit lands
    before the partitions move — unless it waits out an outage, which is given up instead."""

    def __init__(self, runner: ConsumerRunner) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self._runner.revoked(list(revoked))
        await self._runner.wait_idle()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info(
            "partitions assigned",
            consumer=self._runner.spec.name,
            partitions=[f"{tp.topic}:{tp.partition}" for tp in assigned],
        )
