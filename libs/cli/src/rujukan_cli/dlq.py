"""Dead letters: read them, and put fixed ones back on their source topic, each once.

The consumer runner sends a record it cannot handle to ``<topic>.dlq`` with the original value,
key and headers plus ``dlq_*`` headers (reason, in English and in Indonesian, exception class,
consumer, source topic / partition / offset, first and last failure, attempts). A replay
re-publishes it to the source topic with its key and headers, minus every ``dlq_*`` header and
minus credentials (``authorization``, ``x-api-key``): credentials are never re-published, so a
record that a consumer accepts only with them (an agency's outcome) must be sent again by its
author.

Which records were replayed is kept in the consumer group ``rujukan-dlq-replay.<dlq topic>``:
its committed offset is the first record not replayed, and the commit's metadata lists the
replayed offsets after it. A replay filtered by reason, consumer or offsets therefore leaves the
other records replayable later, and never re-publishes one it already did. Records go out a
fetched batch at a time, followed by the commit: a crash in between re-publishes that batch on
the next replay, with the same CloudEvents id, which the consumers' idempotency drops. Two
operators replaying the same DLQ at the same moment are not coordinated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError
from aiokafka.structs import ConsumerRecord

from rujukan_cli.failures import NotADeadLetterTopic
from rujukan_cli.kafka_ops import decode, hand_over, partitions
from rujukan_platform.kafka import make_producer, security_options

DLQ_PREFIX = "dlq_"
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key"})
REPLAY_GROUP = "rujukan-dlq-replay"
STATE_VERSION = "v1:"
# Kafka refuses commit metadata above offset.metadata.max.bytes (4096 by default)
MAX_STATE_CHARS = 3_000

Headers = Sequence[tuple[str, bytes]]


def replay_headers(headers: Headers) -> tuple[list[tuple[str, bytes]], bool]:
    """The headers to re-publish, and whether credentials were among those removed."""
    kept: list[tuple[str, bytes]] = []
    removed_credentials = False
    for key, value in headers:
        name = key.lower()
        if name in CREDENTIAL_HEADERS:
            removed_credentials = True
        elif not name.startswith(DLQ_PREFIX):
            kept.append((key, value))
    return kept, removed_credentials


@dataclass(frozen=True)
class DlqFilter:
    """Which dead letters an operator means: all conditions given must hold."""

    reason: str | None = None  # a substring of dlq_reason or dlq_reason_id, any case
    consumer: str | None = None  # dlq_consumer, exactly
    from_offset: int | None = None  # offsets in the DLQ topic, inclusive
    to_offset: int | None = None

    def matches(self, info: dict[str, Any]) -> bool:
        dead = info.get("dead_letter") or {}
        if self.reason is not None:
            said = (dead.get("reason", ""), dead.get("reason_id", ""))
            if all(self.reason.lower() not in text.lower() for text in said):
                return False
        if self.consumer is not None and dead.get("consumer") != self.consumer:
            return False
        offset = int(info["offset"])
        if self.from_offset is not None and offset < self.from_offset:
            return False
        return self.to_offset is None or offset <= self.to_offset


@dataclass
class ReplayState:
    """What was replayed from one DLQ partition: every offset below ``low``, and ``done``."""

    low: int = 0
    done: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._advance()

    @classmethod
    def from_commit(cls, offset: int | None, metadata: str | None) -> ReplayState:
        if offset is None or offset < 0:
            return cls()
        done: set[int] = set()
        text = (metadata or "").removeprefix(STATE_VERSION)
        for part in filter(None, text.split(",")):
            first, _, last = part.partition("-")
            done.update(range(int(first), int(last or first) + 1))
        return cls(offset, done)

    def replayed(self, offset: int) -> bool:
        return offset < self.low or offset in self.done

    def replayed_between(self, begin: int, end: int) -> int:
        """How many of the offsets ``begin`` to ``end - 1`` were replayed."""
        below = max(0, min(self.low, end) - begin)
        return below + sum(1 for o in self.done if begin <= o < end)

    def with_offset(self, offset: int) -> ReplayState:
        return ReplayState(self.low, self.done | {offset})

    def metadata(self) -> str:
        """``done`` as ranges, ``v1:12-15,18`` (the commit's metadata)."""
        ranges: list[str] = []
        ordered = sorted(self.done)
        start = prev = ordered[0] if ordered else 0
        for offset in ordered[1:]:
            if offset != prev + 1:
                ranges.append(f"{start}-{prev}" if prev > start else str(start))
                start = offset
            prev = offset
        if ordered:
            ranges.append(f"{start}-{prev}" if prev > start else str(start))
        return STATE_VERSION + ",".join(ranges)

    def fits(self) -> bool:
        return len(self.metadata()) <= MAX_STATE_CHARS

    def _advance(self) -> None:
        while self.low in self.done:
            self.done.discard(self.low)
            self.low += 1
        self.done = {o for o in self.done if o >= self.low}


@dataclass
class ReplayOutcome:
    replayed: int = 0  # or, in a dry run, would be
    already_replayed: int = 0  # of the records in the DLQ now, by an earlier replay
    not_matching: int = 0
    credentials_removed: int = 0
    limit_reached: bool = False
    stopped: str | None = None  # a problem that stopped the replay before the end


def group_for(dlq_topic: str) -> str:
    return f"{REPLAY_GROUP}.{dlq_topic}"


async def _states(
    bootstrap: str, dlq_topic: str, tps: Iterable[TopicPartition]
) -> dict[TopicPartition, ReplayState]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_options())
    await admin.start()
    try:
        for attempt in range(20):  # a new group's coordinator takes a moment to be elected
            try:
                committed = await admin.list_consumer_group_offsets(group_for(dlq_topic))
                break
            except GroupCoordinatorNotAvailableError:
                if attempt == 19:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await admin.close()
    states: dict[TopicPartition, ReplayState] = {}
    for tp in tps:
        meta = committed.get(tp)
        states[tp] = ReplayState.from_commit(
            meta.offset if meta else None, meta.metadata if meta else None
        )
    return states


async def _records(
    consumer: AIOKafkaConsumer,
    starts: dict[TopicPartition, int],
    ends: dict[TopicPartition, int],
) -> Any:  # AsyncIterator[list[ConsumerRecord]] (aiokafka is untyped)
    """Batches of records, each of one partition, from ``starts`` up to ``ends``."""
    tps = list(starts)
    for tp, start in starts.items():
        consumer.seek(tp, start)
    while any([await consumer.position(tp) < ends[tp] for tp in tps]):
        batch = await consumer.getmany(timeout_ms=500)
        for tp, records in batch.items():
            yield [r for r in records if r.offset < ends[tp]]


async def dead_letter_partitions(bootstrap: str, dlq_topic: str) -> list[TopicPartition]:
    """The partitions of a ``<topic>.dlq`` topic; another topic's records are no dead letters
    (and a replay would re-publish them to themselves)."""
    if not dlq_topic.endswith(".dlq"):
        raise NotADeadLetterTopic(dlq_topic)
    return await partitions(bootstrap, dlq_topic)


def _reader(bootstrap: str, group: str | None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **security_options(),
    )


async def inspect(
    bootstrap: str,
    dlq_topic: str,
    *,
    where: DlqFilter,
    limit: int | None,
    on_record: Callable[[dict[str, Any]], None],
) -> int:
    """Every dead letter matching ``where``, oldest first, marked ``replayed`` or not."""
    tps = await dead_letter_partitions(bootstrap, dlq_topic)
    consumer = _reader(bootstrap, None)
    await consumer.start()
    try:
        consumer.assign(tps)
        states = await _states(bootstrap, dlq_topic, tps)
        begins = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)

        def marked(record: ConsumerRecord[bytes, bytes]) -> dict[str, Any] | None:
            info = decode(record)
            if not where.matches(info):
                return None
            tp = TopicPartition(record.topic, record.partition)
            info["replayed"] = states[tp].replayed(record.offset)
            return info

        return await hand_over(_records(consumer, begins, ends), on_record, limit, marked)
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class _Letter:
    """A dead letter chosen for replay: where it goes and with which headers."""

    record: ConsumerRecord[bytes, bytes]
    target: str
    headers: list[tuple[str, bytes]]


async def replay(
    bootstrap: str,
    dlq_topic: str,
    *,
    apply: bool,
    where: DlqFilter,
    limit: int | None,
    on_record: Callable[[dict[str, Any]], None],
) -> ReplayOutcome:
    """Re-publish the dead letters matching ``where`` that were not replayed yet (with
    ``apply``; a dry run only reports them and commits nothing)."""
    tps = await dead_letter_partitions(bootstrap, dlq_topic)
    consumer = _reader(bootstrap, group_for(dlq_topic))
    producer = make_producer(bootstrap, client_id="rujukan-dlq-replay")
    await consumer.start()
    await producer.start()
    outcome = ReplayOutcome()
    try:
        consumer.assign(tps)
        states = await _states(bootstrap, dlq_topic, tps)
        begins = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        outcome.already_replayed = sum(
            states[tp].replayed_between(begins[tp], ends[tp]) for tp in tps
        )
        starts = {tp: max(states[tp].low, begins[tp]) for tp in tps}
        async for records in _records(consumer, starts, ends):
            letters = _choose(records, states, where, limit, outcome, on_record)
            if apply and letters:
                sent = [
                    await producer.send(
                        letter.target,
                        letter.record.value,
                        key=letter.record.key,
                        headers=letter.headers,
                    )
                    for letter in letters
                ]
                await asyncio.gather(*sent)
                tp = TopicPartition(dlq_topic, letters[0].record.partition)
                await consumer.commit({tp: (states[tp].low, states[tp].metadata())})
            if outcome.stopped or outcome.limit_reached:
                break
        return outcome
    finally:
        await producer.stop()
        await consumer.stop()


def _choose(
    records: list[ConsumerRecord[bytes, bytes]],
    states: dict[TopicPartition, ReplayState],
    where: DlqFilter,
    limit: int | None,
    outcome: ReplayOutcome,
    on_record: Callable[[dict[str, Any]], None],
) -> list[_Letter]:
    """The records of one fetched batch (one partition) to replay; ``states`` and ``outcome``
    updated as if they were sent."""
    chosen: list[_Letter] = []
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        if states[tp].replayed(record.offset):
            continue
        info = decode(record)
        if not where.matches(info):
            outcome.not_matching += 1
            continue
        if limit is not None and outcome.replayed >= limit:
            outcome.limit_reached = True
            break
        state = states[tp].with_offset(record.offset)
        if not state.fits():
            outcome.stopped = (
                "too many replayed records lie after ones not replayed to remember them all; "
                "replay the older ones (or narrow the filter to them) first"
            )
            break
        states[tp] = state
        dead = info.get("dead_letter") or {}
        target = dead.get("source_topic") or record.topic.removesuffix(".dlq")
        headers, removed = replay_headers(record.headers or ())
        info.update(replay_to=target, credentials_removed=removed)
        outcome.credentials_removed += removed
        outcome.replayed += 1
        on_record(info)
        chosen.append(_Letter(record, target, headers))
    return chosen
