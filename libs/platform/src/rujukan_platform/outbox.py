"""Transactional outbox: events commit with the state change, a relay publishes them.

``stage`` inserts event rows in the caller's transaction. ``OutboxRelay`` claims the oldest
rows (``FOR UPDATE SKIP LOCKED``) under a transaction-scoped advisory lock — so with several
replicas only one relays at a time and key order holds — publishes them in ``seq`` order with the
idempotent producer, waits for every acknowledgement, then deletes them in the same transaction.
A crash between publish and delete republishes a batch: consumers are idempotent on ``ce_id``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from aiokafka import AIOKafkaProducer
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rujukan_contracts.envelope import EventMeta, child_traceparent
from rujukan_contracts.events import Event
from rujukan_platform import metrics
from rujukan_platform.logging import get_logger

log = get_logger(__name__)

AfterPublish = Callable[[AsyncSession, Sequence[Any]], Awaitable[None]]
"""Runs in the relay's transaction once Kafka acknowledged the rows (e.g. mark 'delivered')."""

# One lock id for every relay of one database (each service owns its database).
RELAY_LOCK_ID = 0x52554A554B414E  # "RUJUKAN"


def outbox_row(
    event: Event, *, topic: str, traceparent: str | None = None, event_id: UUID | None = None
) -> dict[str, Any]:
    return {
        "id": event_id or uuid4(),
        "aggregatetype": event.aggregate,
        "aggregateid": event.key(),
        "type": event.ce_type,
        "payload": event.model_dump(mode="json"),
        "topic": topic,
        "traceparent": child_traceparent(traceparent),
    }


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
    rows = [outbox_row(e, topic=t, traceparent=traceparent) for t, e in events]
    await session.execute(outbox.insert(), rows)
    return [r["id"] for r in rows]


class OutboxRelay:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        source: str,
        batch_size: int = 500,
        poll_seconds: float = 0.05,
        on_published: AfterPublish | None = None,
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self._source = source
        self._batch_size = batch_size
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._last_gauge = 0.0
        self._on_published = on_published

    def wake(self) -> None:
        """Called after a commit that staged events, so they leave now rather than at next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                sent = await self.relay_once()
                backoff = 0.2
            except Exception:
                metrics.OUTBOX_RELAY_ERRORS.inc()
                log.exception("outbox relay failed; retrying", backoff_seconds=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            await self._update_gauges()
            if sent < self._batch_size:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
                except TimeoutError:
                    pass

    async def relay_once(self) -> int:
        async with self._sessions() as session, session.begin():
            locked = await session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": RELAY_LOCK_ID}
            )
            if not locked:
                return 0
            rows = (
                await session.execute(
                    text(
                        "SELECT id, topic, aggregateid, type, payload::text AS payload,"
                        " traceparent, created_at FROM outbox ORDER BY seq"
                        " LIMIT :n FOR UPDATE SKIP LOCKED"
                    ),
                    {"n": self._batch_size},
                )
            ).all()
            if not rows:
                return 0
            pending = []
            for row in rows:
                meta = EventMeta(
                    type=row.type,
                    source=self._source,
                    subject=row.aggregateid,
                    id=row.id,
                    time=row.created_at,
                    traceparent=row.traceparent or child_traceparent(None),
                )
                # send() enqueues in order and returns a delivery future; gather them after.
                pending.append(
                    await self._producer.send(
                        row.topic,
                        value=row.payload.encode(),
                        key=row.aggregateid.encode(),
                        headers=meta.to_headers(),
                    )
                )
            await asyncio.gather(*pending)
            await session.execute(
                text("DELETE FROM outbox WHERE id = ANY(:ids)"), {"ids": [r.id for r in rows]}
            )
            if self._on_published is not None:
                await self._on_published(session, rows)
        for row in rows:
            metrics.EVENTS_PUBLISHED.labels(topic=row.topic).inc()
        return len(rows)

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
