"""Transactional outbox: events commit with the state change, a relay publishes them.

``stage`` writes event rows with ``COPY`` in the caller's transaction. ``OutboxRelay`` claims
the oldest rows (``FOR UPDATE SKIP LOCKED``) under a transaction-scoped advisory lock — so with
several replicas only one relays at a time and key order holds — publishes them in ``seq`` order
with the idempotent producer, one record batch per partition, waits for every acknowledgement,
then deletes them in the same transaction. A crash between publish and delete republishes a
batch: consumers are idempotent on ``ce_id``.

A service may hook into the relay's transaction once Kafka acknowledged a batch
(``AfterPublish``): the router records delivery there. The hook returns *follow-up records* —
facts that only exist because this batch was acknowledged — which the relay publishes before it
commits. A crash before the commit republishes the batch and so the follow-ups, whose ids are
derived from the rows they follow (``follow_up_id``): consumers see a duplicate, never a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid5

from aiokafka import AIOKafkaProducer
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rujukan_contracts.envelope import continued_traceparent, envelope_headers, new_traceparent
from rujukan_contracts.events import Event
from rujukan_platform import metrics, telemetry
from rujukan_platform.db import copy_records, driver_connection
from rujukan_platform.ids import new_id
from rujukan_platform.logging import get_logger
from rujukan_platform.polling import IdlePoll
from rujukan_platform.publish import OutgoingRecord, RecordPublisher

log = get_logger(__name__)

# One lock id for every relay of one database (each service owns its database).
RELAY_LOCK_ID = 0x52554A554B414E  # "RUJUKAN"
_TRY_RELAY_LOCK = text("SELECT pg_try_advisory_xact_lock(:id)")  # every relay cycle: made once

#: the columns ``stage_records`` copies, in the order of an ``OutboxRecord``
OUTBOX_COLUMNS = (
    "id",
    "aggregatetype",
    "aggregateid",
    "type",
    "payload",
    "topic",
    "traceparent",
    "created_at",
)

OutboxRecord = tuple[UUID, str, str, str, str, str, str, datetime]
"""One outbox row as ``COPY`` writes it: id, aggregatetype, aggregateid (the Kafka key), type,
payload (JSON text), topic, traceparent, created_at."""


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """An event as the relay publishes it: an outbox row, or a follow-up of one."""

    seq: int
    id: str  # the ce_id, as text: it goes into a header as it is
    topic: str
    aggregateid: str
    type: str
    payload: str
    traceparent: str
    created_at: datetime


AfterPublish = Callable[[AsyncSession, Sequence[OutboxEvent]], Awaitable[Sequence[OutboxEvent]]]
"""Runs in the relay's transaction once Kafka acknowledged the rows; returns follow-ups to
publish before the commit."""

_FOLLOW_UP = UUID("6f1c2a9e-4b7d-5e3a-9c1f-52554a554b41")


def follow_up_id(row_id: str, what: str) -> str:
    """The ce_id of a follow-up: the same on every republication of its row."""
    return str(uuid5(_FOLLOW_UP, f"{row_id}/{what}"))


def follow_up(record: OutboxRecord) -> OutboxEvent:
    """An event raised after publication, as the relay publishes it (it never sits in the
    outbox: ``seq`` 0)."""
    event_id, _aggregatetype, aggregateid, type_, payload, topic, traceparent, at = record
    return OutboxEvent(0, str(event_id), topic, aggregateid, type_, payload, traceparent, at)


def outbox_record(
    event: Event,
    *,
    topic: str,
    traceparent: str | None = None,
    event_id: UUID | None = None,
    at: datetime | None = None,
) -> OutboxRecord:
    """A row for ``event`` (serialised by its model); ``traceparent`` is the cause's context."""
    return (
        event_id or new_id(),
        event.aggregate,
        event.key(),
        event.ce_type,
        event.model_dump_json(),
        topic,
        continued_traceparent(traceparent),
        at or datetime.now(UTC),
    )


async def stage_records(session: AsyncSession, records: Sequence[OutboxRecord]) -> None:
    """Add prepared rows to the outbox in the session's transaction."""
    await copy_records(session, "outbox", OUTBOX_COLUMNS, records)


async def stage(
    session: AsyncSession,
    outbox: Table,
    events: Sequence[tuple[str, Event]],
    *,
    traceparent: str | None = None,
) -> list[UUID]:
    """Add ``(topic, event)`` pairs to the outbox in the session's transaction."""
    if not events:
        return []
    assert outbox.name == "outbox"
    at = datetime.now(UTC)
    records = [outbox_record(e, topic=t, traceparent=traceparent, at=at) for t, e in events]
    await stage_records(session, records)
    return [r[0] for r in records]


class OutboxRelay:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        source: str,
        batch_size: int = 500,
        poll_seconds: float = 0.05,
        idle_poll_seconds: float | None = None,
        patience_seconds: float = 0.0,
        on_published: AfterPublish | None = None,
    ) -> None:
        self._sessions = sessions
        self._publisher = RecordPublisher(producer)
        self._source = source
        self._batch_size = batch_size
        #: woken by this process's commits; rows of other processes are polled for, less
        #: often the longer none come (``idle_poll_seconds`` at the most)
        self._poll = IdlePoll(poll_seconds, idle_poll_seconds)
        #: woken, a patient relay waits this much longer before it looks, so that one look
        #: publishes what the commits of that time staged (events nobody waits on by the second)
        self._patience = patience_seconds
        self._last_gauge = 0.0
        self._on_published = on_published

    def wake(self) -> None:
        """Called after a commit that staged events, so they leave now rather than at next poll."""
        self._poll.wake()

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                sent = await self.relay_once()
                backoff = 0.2
            except Exception:
                metrics.OUTBOX_RELAY_ERRORS.inc()
                log.exception("outbox relay failed; retrying", backoff_seconds=backoff)
                with contextlib.suppress(TimeoutError):  # a stop ends the wait at once
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            await self._update_gauges()
            self._poll.found(sent > 0)
            if sent < self._batch_size:
                woken = await self._poll.wait()
                if woken and self._patience:
                    await self._wait_patiently(stop)

    async def _wait_patiently(self, stop: asyncio.Event) -> None:
        """A patient relay's wait after a wake: the commits of ``patience_seconds`` leave in
        the coming look, and their own wakes ask for no look of their own. A stop ends it."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=self._patience)
        self._poll.settle()

    async def relay_once(self) -> int:
        """Publish the oldest batch; returns how many outbox rows left the outbox."""
        async with self._sessions() as session, session.begin():
            locked = await session.scalar(  # also begins the transaction the driver calls join
                _TRY_RELAY_LOCK, {"id": RELAY_LOCK_ID}
            )
            if not locked:
                return 0
            conn = await driver_connection(session)
            rows = [
                OutboxEvent(*r)
                for r in await conn.fetch(
                    "SELECT seq, id::text, topic, aggregateid, type, payload::text, traceparent,"
                    " created_at"
                    " FROM outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
                    self._batch_size,
                )
            ]
            if not rows:
                return 0
            await self._publish(rows)
            seqs = [r.seq for r in rows]
            await conn.execute("DELETE FROM outbox WHERE seq = ANY($1::bigint[])", seqs)
            follow_ups: Sequence[OutboxEvent] = ()
            if self._on_published is not None:
                follow_ups = await self._on_published(session, rows)
                await self._publish(follow_ups)
        _count_published(rows, follow_ups)
        return len(rows)

    async def _publish(self, rows: Sequence[OutboxEvent]) -> None:
        """Publish ``rows``; with tracing on, each in a PRODUCER span (a child of the row's
        ``traceparent``) whose context is the record's header."""
        if not telemetry.enabled():
            await self._publisher.publish([self._record(row, row.traceparent) for row in rows])
            return
        spans = [telemetry.producer_span(row.topic, row.id, row.traceparent) for row in rows]
        with telemetry.ended(spans):
            await self._publisher.publish(
                [
                    self._record(row, telemetry.traceparent_of(span))
                    for row, span in zip(rows, spans, strict=True)
                ]
            )

    def _record(self, row: OutboxEvent, traceparent: str | None) -> OutgoingRecord:
        key = row.aggregateid.encode()
        headers = envelope_headers(
            id=row.id,
            source=self._source,
            type=row.type,
            time=row.created_at,
            subject=key,
            traceparent=traceparent or new_traceparent(),
        )
        return OutgoingRecord(row.topic, key, row.payload.encode(), headers)

    async def _update_gauges(self) -> None:
        now = time.monotonic()
        if now - self._last_gauge < 2.0:
            return
        self._last_gauge = now
        async with self._sessions() as session:
            row = (
                await session.execute(text("SELECT count(*), min(created_at) FROM outbox"))
            ).one()
        metrics.OUTBOX_BACKLOG.set(row[0])
        oldest = row[1]
        metrics.OUTBOX_OLDEST_AGE.set(
            (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        )


def _count_published(rows: Sequence[OutboxEvent], follow_ups: Sequence[OutboxEvent]) -> None:
    per_topic = Counter(e.topic for e in (*rows, *follow_ups))
    for topic, n in per_topic.items():
        metrics.EVENTS_PUBLISHED.labels(topic=topic).inc(n)
