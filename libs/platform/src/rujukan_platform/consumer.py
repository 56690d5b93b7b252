"""The consumer runner: read a batch, apply it in one database transaction, then commit offsets.

Every consumer in every service runs through ``ConsumerRunner``:

* **manual commits** — offsets are committed only after the database commit, and again (after the
  in-flight batch finishes) when partitions are revoked and on shutdown;
* **idempotency** — each event id is inserted into ``processed_events`` in the handler's
  transaction; a redelivered event finds its row and has no second effect;
* **bad messages** — an unreadable record (no CloudEvents headers, unknown type, invalid data) or a
  handler's ``InvalidMessage`` goes to ``<topic>.dlq`` with the reason in headers; a transient
  failure (database or broker down) rolls back and retries the same batch with backoff, its
  offsets uncommitted; a ``DlqLimit`` stops a consumer that dead-letters everything.

Batches are applied in one transaction (fast path); if a handler refuses one message, the batch
is rolled back and replayed one message per transaction to isolate it (slow path).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy import Table, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rujukan_contracts.envelope import EnvelopeError, EventMeta
from rujukan_contracts.events import Event, event_model
from rujukan_platform import metrics
from rujukan_platform.logging import get_logger
from rujukan_platform.outbox import stage

log = get_logger(__name__)

E = TypeVar("E", bound=Event)


class InvalidMessage(Exception):
    """This message can never succeed: dead-letter it and carry on."""


class DlqLimitExceeded(RuntimeError):
    """The consumer is dead-lettering too much: stop it rather than drain the topic into the DLQ."""


def is_transient(exc: BaseException) -> bool:
    """A failure that may pass by itself (database or broker unreachable): retry, don't DLQ."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError):
        # deadlock_detected / serialization_failure: the other transaction won; run it again
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return bool(exc.connection_invalidated) or code in ("40P01", "40001")
    return isinstance(exc, (ConnectionError, OSError, TimeoutError, KafkaError))


@dataclass(slots=True)
class HandlerContext:
    """What a handler gets besides its event: the transaction, the envelope, the record as
    received (value, headers with credentials where a topic needs them, the broker's timestamp
    on LogAppendTime topics) and the outbox."""

    session: AsyncSession
    meta: EventMeta
    record: ConsumerRecord[bytes, bytes]
    outbox: Table
    staged: int = 0

    @property
    def topic(self) -> str:
        topic: str = self.record.topic
        return topic

    @property
    def partition(self) -> int:
        partition: int = self.record.partition
        return partition

    async def publish(self, events: Sequence[tuple[str, Event]]) -> None:
        """Stage follow-up events in this transaction, continuing this event's trace."""
        await stage(self.session, self.outbox, events, traceparent=self.meta.traceparent)
        self.staged += len(events)


Handler = Callable[[HandlerContext, Any], Awaitable[None]]
BatchHandler = Callable[[list[tuple[HandlerContext, Any]]], Awaitable[None]]
"""Handles every fresh event of one type in a batch at once (set-based SQL for throughput);
each context still carries its own envelope, so follow-up events keep their trace."""


@dataclass(frozen=True, slots=True)
class DlqLimit:
    """Stop when ``max_consecutive`` messages in a row, or more than ``max_ratio`` of the last
    ``window`` messages, were dead-lettered (arroyo's DlqLimit, simplified)."""

    max_consecutive: int = 100
    max_ratio: float = 0.5
    window: int = 1000


@dataclass
class ConsumerSpec:
    """One named consumer: its topics, its group, and a handler per CloudEvents type."""

    name: str
    topics: list[str]
    handlers: dict[str, Handler]
    group_id: str | None = None
    batch_handlers: dict[str, BatchHandler] = field(default_factory=dict)
    dlq_limit: DlqLimit = field(default_factory=DlqLimit)
    ignore_unknown_types: bool = False

    @property
    def group(self) -> str:
        return self.group_id or self.name


@dataclass(slots=True)
class _Decoded:
    record: ConsumerRecord[bytes, bytes]
    meta: EventMeta
    event: Event


class _DlqGuard:
    def __init__(self, limit: DlqLimit) -> None:
        self.limit = limit
        self.consecutive = 0
        self.recent: deque[bool] = deque(maxlen=limit.window)

    def record(self, dead: bool) -> None:
        self.recent.append(dead)
        self.consecutive = self.consecutive + 1 if dead else 0
        if self.consecutive >= self.limit.max_consecutive:
            raise DlqLimitExceeded(f"{self.consecutive} consecutive messages dead-lettered")
        if len(self.recent) == self.recent.maxlen:
            ratio = sum(self.recent) / len(self.recent)
            if ratio > self.limit.max_ratio:
                raise DlqLimitExceeded(f"{ratio:.0%} of the last {len(self.recent)} dead-lettered")


class ConsumerRunner:
    def __init__(
        self,
        spec: ConsumerSpec,
        *,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Table,
        on_committed: Callable[[int], None] | None = None,
        batch_timeout_ms: int = 200,
        max_records: int = 500,
    ) -> None:
        self.spec = spec
        self._consumer = consumer
        self._producer = producer
        self._sessions = sessions
        self._outbox = outbox
        self._on_committed = on_committed
        self._batch_timeout_ms = batch_timeout_ms
        self._max_records = max_records
        self._lock = asyncio.Lock()
        self._guard = _DlqGuard(spec.dlq_limit)
        self.last_poll = time.monotonic()

    async def run(self, stop: asyncio.Event) -> None:
        self._consumer.subscribe(self.spec.topics, listener=_CommitOnRevoke(self))
        log.info("consumer started", consumer=self.spec.name, topics=self.spec.topics)
        while not stop.is_set():
            batch = await self._consumer.getmany(
                timeout_ms=self._batch_timeout_ms, max_records=self._max_records
            )
            self.last_poll = time.monotonic()
            if not batch:
                continue
            async with self._lock:
                await self._handle_batch(batch, stop)
            self._update_lag(batch)

    async def _handle_batch(
        self, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]], stop: asyncio.Event
    ) -> None:
        started = time.perf_counter()
        records = [r for recs in batch.values() for r in recs]
        decoded: list[_Decoded] = []
        dead: list[tuple[ConsumerRecord[bytes, bytes], str]] = []
        for record in records:
            try:
                decoded.append(self._decode(record))
            except InvalidMessage as exc:
                dead.append((record, str(exc)))
            except _Ignored:
                pass
        backoff = 0.2
        while True:
            try:
                staged = await self._apply(decoded, dead)
                break
            except Exception as exc:
                if not is_transient(exc):
                    raise  # a bug, not weather: stop the consumer (the supervisor restarts it)
                metrics.CONSUMER_RETRIES.labels(consumer=self.spec.name).inc()
                log.warning(
                    "transient failure; retrying batch",
                    consumer=self.spec.name,
                    error=type(exc).__name__,
                    backoff_seconds=backoff,
                )
                if stop.is_set():
                    return  # offsets stay uncommitted: the batch is redelivered after restart
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
        for record, reason in dead:
            await self._dead_letter(record, reason)
        for record in records:
            self._guard.record(any(record is d for d, _ in dead))
        await self._commit({tp: recs[-1].offset + 1 for tp, recs in batch.items()})
        if self._on_committed and staged:
            self._on_committed(staged)
        elapsed = time.perf_counter() - started
        metrics.EVENT_PROCESSING.labels(consumer=self.spec.name).observe(elapsed)
        now = datetime.now(UTC)
        latency = metrics.EVENT_LATENCY.labels(consumer=self.spec.name)
        for d in decoded:
            latency.observe(max(0.0, (now - d.meta.time).total_seconds()))

    def _decode(self, record: ConsumerRecord[bytes, bytes]) -> _Decoded:
        try:
            meta = EventMeta.from_headers(list(record.headers or ()))
        except EnvelopeError as exc:
            raise InvalidMessage(str(exc)) from exc
        model = event_model(meta.type)
        handled = meta.type in self.spec.handlers or meta.type in self.spec.batch_handlers
        if model is None or not handled:
            if self.spec.ignore_unknown_types:
                raise _Ignored
            raise InvalidMessage(f"no handler for event type {meta.type!r}")
        if record.value is None:
            raise InvalidMessage("record has no value")
        try:
            event = model.model_validate_json(record.value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "value"
            raise InvalidMessage(
                f"invalid {meta.type}: {where}: {first['msg']} ({exc.error_count()} errors)"
            ) from exc
        return _Decoded(record, meta, event)

    async def _apply(
        self, decoded: list[_Decoded], dead: list[tuple[ConsumerRecord[bytes, bytes], str]]
    ) -> int:
        """Apply the batch; returns how many events the handlers staged. Counted as consumed
        only once committed, so a retried batch is not counted twice."""
        if not decoded:
            return 0
        try:
            async with self._sessions() as session, session.begin():
                applied = await self._apply_in(session, decoded)
        except InvalidMessage:
            pass
        else:
            return self._count(applied)
        applied = _Applied()  # slow path: one transaction per message isolates the refused one
        for d in decoded:
            try:
                async with self._sessions() as session, session.begin():
                    applied.add(await self._apply_in(session, [d]))
            except InvalidMessage as exc:
                dead.append((d.record, str(exc)))
        return self._count(applied)

    def _count(self, applied: _Applied) -> int:
        for (topic, outcome), n in applied.consumed.items():
            metrics.EVENTS_CONSUMED.labels(self.spec.name, topic, outcome).inc(n)
        return applied.staged

    async def _apply_in(self, session: AsyncSession, decoded: list[_Decoded]) -> _Applied:
        ids = list(dict.fromkeys(d.meta.id for d in decoded))
        fresh = set(
            (
                await session.execute(
                    text(
                        "INSERT INTO processed_events (consumer, event_id)"
                        " SELECT :consumer, unnest(CAST(:ids AS uuid[]))"
                        " ON CONFLICT DO NOTHING RETURNING event_id"
                    ),
                    {"consumer": self.spec.name, "ids": ids},
                )
            ).scalars()
        )
        applied = _Applied()
        contexts: list[HandlerContext] = []
        batched: dict[str, list[tuple[HandlerContext, Any]]] = {}
        for d in decoded:
            topic = d.record.topic
            if d.meta.id not in fresh:
                applied.consumed[(topic, "duplicate")] += 1
                continue
            fresh.discard(d.meta.id)  # a second copy within the batch is a duplicate too
            ctx = HandlerContext(session=session, meta=d.meta, record=d.record, outbox=self._outbox)
            contexts.append(ctx)
            applied.consumed[(topic, "processed")] += 1
            if d.meta.type in self.spec.batch_handlers:
                batched.setdefault(d.meta.type, []).append((ctx, d.event))
            else:
                await self.spec.handlers[d.meta.type](ctx, d.event)
        for ce_type, items in batched.items():  # in offset order within each type
            await self.spec.batch_handlers[ce_type](items)
        applied.staged = sum(ctx.staged for ctx in contexts)
        return applied

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        dlq_topic = f"{record.topic}.dlq"
        headers = [
            *(record.headers or ()),
            ("dlq_reason", reason[:1000].encode()),
            ("dlq_consumer", self.spec.name.encode()),
            ("dlq_source_topic", record.topic.encode()),
            ("dlq_source_partition", str(record.partition).encode()),
            ("dlq_source_offset", str(record.offset).encode()),
            ("dlq_failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        await self._producer.send_and_wait(
            dlq_topic, value=record.value, key=record.key, headers=headers
        )
        metrics.DLQ_MESSAGES.labels(self.spec.name, record.topic).inc()
        metrics.EVENTS_CONSUMED.labels(self.spec.name, record.topic, "dlq").inc()
        log.warning(
            "message dead-lettered",
            consumer=self.spec.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
        )

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError:
            # The group rebalanced while we worked: the new owner re-reads these records and
            # processed_events makes that harmless.
            log.warning("commit failed after a rebalance", consumer=self.spec.name)

    def _update_lag(self, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
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


class _Ignored(Exception):
    pass


@dataclass(slots=True)
class _Applied:
    staged: int = 0
    consumed: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, other: _Applied) -> None:
        self.staged += other.staged
        self.consumed.update(other.consumed)


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Batches commit as they end; on revoke, wait for the one in flight so its commit lands
    before the partitions move."""

    def __init__(self, runner: ConsumerRunner) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._runner.wait_idle()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info(
            "partitions assigned",
            consumer=self._runner.spec.name,
            partitions=[f"{tp.topic}:{tp.partition}" for tp in assigned],
        )
