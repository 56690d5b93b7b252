"""What a chaos run checks once the pipeline is quiet: nothing lost, nothing twice, nothing
different from a fault-free run (the pure ``decide``), nothing stuck, no resident told twice.

Every figure comes from the services' own databases, the topics read from their beginning and
the SMTP sink's log; each check is a count that must be zero.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from router_throughput import referral_label

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_contracts.topics import INTAKE_SUBMITTED, REFERRALS_STATUS, program_topic
from rujukan_platform.kafka import security_options
from rujukan_router.domain.catalogue import Catalogue

DATABASES = ("intake", "registry", "router", "notifications")


@dataclass
class Check:
    name: str
    value: int
    detail: str = ""
    #: a non-zero value fails the run; ``False`` for what is reported but expected
    gates: bool = True


@dataclass
class Facts:
    """What the harness knows from its side: the import file, what the importer reported,
    which households consented to e-mail, and what it had to do by hand."""

    records: int
    source: str  # the importer's source id (idempotency keys are import:<source>:<n>)
    refused: set[int]
    email_households: set[str]  # KK numbers of households with e-mail + notification consent
    interventions: list[str] = field(default_factory=list)


async def query(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return list(await conn.fetch(sql, *args, timeout=120))
    finally:
        await conn.close()


async def scalar(dsn: str, sql: str) -> Any:
    return (await query(dsn, sql))[0][0]


# ------------------------------------------------------------------------------ Kafka


class LagReader:
    """Consumer groups' lags through clients kept open between reads: a benchmark polling once a
    second would otherwise pay the broker two connections and their SCRAM exchanges a read."""

    def __init__(self, bootstrap: str) -> None:
        self.admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=15000, **security_options()
        )
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, request_timeout_ms=15000, **security_options()
        )

    async def start(self) -> None:
        await self.admin.start()
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def lags(self) -> dict[str, int]:
        """Per consumer group: records not yet committed on the partitions it has offsets for."""
        lags: dict[str, int] = {}
        for group_id, _protocol in await self.admin.list_consumer_groups():
            offsets = await self.admin.list_consumer_group_offsets(group_id)
            tps = [tp for tp, meta in offsets.items() if meta.offset >= 0]
            if not tps:
                continue
            ends = await self.consumer.end_offsets(tps)
            lags[group_id] = sum(max(0, ends[tp] - offsets[tp].offset) for tp in tps)
        return lags


async def end_lags(bootstrap: str) -> dict[str, int]:
    """``LagReader.lags`` once, on clients of its own (a harness whose broker may be restarted)."""
    reader = LagReader(bootstrap)
    try:
        await reader.start()
        return await reader.lags()
    finally:
        await reader.stop()  # a start that failed halfway leaves clients to close too


async def topics(bootstrap: str) -> list[str]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, request_timeout_ms=15000, **security_options()
    )
    await consumer.start()
    try:
        return sorted(await consumer.topics())
    finally:
        await consumer.stop()


async def record_counts(bootstrap: str, names: list[str]) -> dict[str, int]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, request_timeout_ms=15000, **security_options()
    )
    await consumer.start()
    try:
        out: dict[str, int] = {}
        for name in names:
            tps = await partitions(consumer, [name])
            starts = await consumer.beginning_offsets(tps)
            ends = await consumer.end_offsets(tps)
            out[name] = sum(ends[tp] - starts[tp] for tp in tps)
        return out
    finally:
        await consumer.stop()


async def partitions(consumer: AIOKafkaConsumer, names: list[str]) -> list[TopicPartition]:
    cluster = await consumer._client.fetch_all_metadata()  # as the e2e tests do
    return [TopicPartition(n, p) for n in names for p in cluster.partitions_for_topic(n) or ()]


async def read_all(bootstrap: str, names: list[str]) -> AsyncIterator[tuple[str, bytes]]:
    """Every record of the topics, from the beginning to the end offsets taken now."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=30000,
        max_partition_fetch_bytes=4 << 20,
        **security_options(),
    )
    await consumer.start()
    try:
        tps = await partitions(consumer, names)
        if not tps:
            return
        consumer.assign(tps)
        starts = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, starts[tp])  # explicit: seek_to_beginning raced with the reset
        left = {tp for tp in tps if starts[tp] < ends[tp]}
        while left:
            batches = await consumer.getmany(*left, timeout_ms=1000, max_records=10000)
            for tp, records in batches.items():
                for r in records:
                    if r.offset < ends[tp] and r.value is not None:
                        yield tp.topic, r.value
                if records and records[-1].offset + 1 >= ends[tp]:
                    left.discard(tp)
    finally:
        await consumer.stop()


# ------------------------------------------------------------------------------ quiet


#: ``count(database, sql)``: a ``SELECT count(*)`` in one of the platform's databases
Count = Callable[[str, str], Awaitable[int]]


def connecting_count(dsn: str) -> Count:
    """A ``Count`` on a connection of its own each time: for a harness that kills PostgreSQL."""

    async def count(db: str, sql: str) -> int:
        return int(await scalar(f"{dsn}/{db}", sql))

    return count


async def pipeline_pending(
    count: Count, lags: Callable[[], Awaitable[dict[str, int]]], intakes_expected: int
) -> dict[str, int]:
    """What is still moving: non-zero anywhere means not quiet yet (``stuck`` at the deadline).
    ``count`` and ``lags`` are the caller's: a benchmark keeps its connections open (one opened
    for each look would be CPU counted as the platform's), a chaos run opens them anew."""
    pending: dict[str, int] = {}
    for db in DATABASES:
        pending[f"outbox rows ({db})"] = await count(db, "SELECT count(*) FROM outbox")
    intakes = await count("intake", "SELECT count(*) FROM intakes")
    pending["intakes not yet accepted"] = max(0, intakes_expected - intakes)
    routed = await count("router", "SELECT count(*) FROM intakes")
    pending["intakes not yet routed"] = max(0, intakes - routed)
    pending["referrals before 'delivered'"] = await count(
        "router", "SELECT count(*) FROM referrals WHERE status = 'created'"
    )
    pending["visits not yet summed up"] = await count(
        "notifications", "SELECT count(*) FROM resident_visits WHERE summarise_at IS NOT NULL"
    )
    pending["deliveries not final"] = await count(
        "notifications",
        "SELECT count(*) FROM deliveries WHERE state NOT IN ('sent', 'failed', 'skipped')",
    )
    for group, lag in (await lags()).items():
        pending[f"consumer lag ({group})"] = lag
    return pending


# ------------------------------------------------------------------------------ checks


async def run_checks(
    *,
    dsn: str,
    bootstrap: str,
    facts: Facts,
    catalogue: Catalogue,
    expected: Callable[[IntakeSubmittedV1, Catalogue], set[str]],
    messages: list[dict[str, Any]],
) -> list[Check]:
    checks: list[Check] = []
    add = checks.append

    # --- intakes: accepted → stored → published → routed (and seen by every consumer)
    keys = {
        r["idempotency_key"]: str(r["id"])
        for r in await query(f"{dsn}/intake", "SELECT id, idempotency_key FROM intakes")
    }
    wanted_keys = {
        f"import:{facts.source}:{n}" for n in range(facts.records) if n not in facts.refused
    }
    stored = set(keys.values())
    add(Check("records refused by the API", len(facts.refused), "generated data is all valid"))
    not_stored = len(wanted_keys - set(keys))
    extra = len(set(keys) - wanted_keys)

    events: dict[str, IntakeSubmittedV1] = {}
    async for _topic, value in read_all(bootstrap, [INTAKE_SUBMITTED]):
        event = IntakeSubmittedV1.model_validate_json(value)
        events[str(event.intake_id)] = event
    routed = {str(r[0]) for r in await query(f"{dsn}/router", "SELECT intake_id FROM intakes")}
    facts_rows = {
        str(r[0]) for r in await query(f"{dsn}/registry", "SELECT intake_id FROM intake_facts")
    }
    add(
        Check(
            "lost intakes",
            not_stored
            + len(stored - set(events))
            + len(stored - routed)
            + len(stored - facts_rows),
            f"{len(stored)} stored of {len(wanted_keys)} accepted; not stored {not_stored}, "
            f"not on {INTAKE_SUBMITTED} {len(stored - set(events))}, not routed "
            f"{len(stored - routed)}, not in registry facts {len(stored - facts_rows)}; "
            f"stored without an import key {extra}",
        )
    )

    # --- referrals: once each, exactly what decide says
    referrals = await query(
        f"{dsn}/router",
        "SELECT id, intake_id, household_id, program_code, kind, status FROM referrals",
    )
    by_intake: dict[str, list[str]] = {}
    for r in referrals:
        label = referral_label(r["program_code"], r["kind"])
        by_intake.setdefault(str(r["intake_id"]), []).append(label)
    dupes = sum(len(codes) - len(set(codes)) for codes in by_intake.values())
    add(Check("duplicate referrals", dupes, f"{len(referrals)} referrals"))
    want_total = 0
    differing: list[str] = []
    for intake_id in stored:
        event = events.get(intake_id)
        if event is None:
            continue
        want = expected(event, catalogue)
        want_total += len(want)
        got = set(by_intake.get(intake_id, []))
        if want != got:
            differing.append(f"{intake_id}: decide {sorted(want)}, routed {sorted(got)}")
    add(
        Check(
            "referrals differing from decide",
            len(differing),
            f"intakes whose referrals differ; decide says {want_total} referrals"
            + "".join(f"; {d}" for d in differing[:3]),
        )
    )

    # --- publications: every referral on its program topic, its status changes on the topics
    codes = sorted({r["program_code"] for r in referrals})
    existing = set(await topics(bootstrap))
    on_topic: Counter[str] = Counter()
    statuses: dict[str, set[str]] = {}
    program_topics = [program_topic(c) for c in codes if program_topic(c) in existing]
    async for topic, value in read_all(bootstrap, [*program_topics, REFERRALS_STATUS]):
        body = orjson.loads(value)
        if topic == REFERRALS_STATUS:
            statuses.setdefault(body["referral_id"], set()).add(body["to_status"])
        else:
            on_topic[body["referral_id"]] += 1
    ids = {str(r["id"]) for r in referrals}
    no_topic = len(ids - set(on_topic))
    no_status = sum(1 for i in ids if not {"created", "delivered"} <= statuses.get(i, set()))
    intake_view = {
        str(r[0]): r[1]
        for r in await query(f"{dsn}/intake", "SELECT referral_id, status FROM intake_referrals")
    }
    not_in_intake = sum(1 for i in ids if intake_view.get(i) != "delivered")
    add(
        Check(
            "missing publications",
            no_topic + no_status + not_in_intake,
            f"not on the program topic {no_topic}, without 'created'+'delivered' on "
            f"{REFERRALS_STATUS} {no_status}, not 'delivered' in intake's view {not_in_intake}; "
            f"published more than once (at-least-once, harmless) "
            f"{sum(1 for n in on_topic.values() if n > 1)}",
        )
    )
    stuck = Counter(r["status"] for r in referrals if r["status"] != "delivered")
    add(Check("referrals stuck before 'delivered'", sum(stuck.values()), _counts(stuck)))

    outbox = {db: await scalar(f"{dsn}/{db}", "SELECT count(*) FROM outbox") for db in DATABASES}
    add(Check("outbox rows left", sum(outbox.values()), _counts(outbox)))

    # --- residents: told once per visit, and every one who consented told
    deliveries = await query(
        f"{dsn}/notifications",
        "SELECT d.id, d.referral_id, d.state, d.household_id, c.email IS NOT NULL AS has_email"
        " FROM deliveries d LEFT JOIN contacts c USING (household_id)"
        " WHERE d.audience = 'resident' AND d.channel = 'email'",
    )
    at_sink = Counter(m["delivery"] for m in messages)
    ids_of: defaultdict[str, set[str | None]] = defaultdict(set)
    deliveries_of: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for m in messages:
        ids_of[m["delivery"]].add(m["message_id"])
        deliveries_of[(m["to"], m["body_sha256"])].add(m["delivery"])
    # what a resident's mailbox shows twice: one delivery under two Message-IDs (or none,
    # which nothing can fold), or the same text to the same address from two deliveries
    without_id = Counter(m["delivery"] for m in messages if not m["message_id"])
    distinct = sum(len(ids) - 1 for ids in ids_of.values())
    distinct += sum(n - 1 for n in without_id.values())
    planned_twice = sum(len(ds) - 1 for ds in deliveries_of.values())
    add(
        Check(
            "duplicate resident messages",
            distinct + planned_twice,
            f"{len(messages)} messages at the sink; one delivery under different or no "
            f"Message-IDs {distinct}; the same message from two deliveries {planned_twice}",
        )
    )
    resent = sum(n - 1 for d, n in at_sink.items() if d and n > 1)
    add(
        Check(
            "re-sent with the same Message-ID",
            resent,
            "reported, not a failure: sends a killed dispatcher had handed to SMTP and not yet "
            "recorded, sent again after the lease under the same Message-ID (at-least-once; "
            "mail stores that dedupe on Message-ID show one; docs/decisions.md)",
            gates=False,
        )
    )
    # one message sums up a visit's referrals (its intake), named by its first referral
    intake_of = {str(r["id"]): str(r["intake_id"]) for r in referrals}
    visits = {str(r["intake_id"]) for r in referrals if r["status"] == "delivered"}
    told = {intake_of.get(str(d["referral_id"])) for d in deliveries}
    expected_to = [d for d in deliveries if d["has_email"]]
    missing = [d for d in expected_to if at_sink.get(str(d["id"]), 0) == 0]
    states = Counter(d["state"] for d in deliveries)
    email_visits = await _email_visits(dsn, facts, referrals)
    told_by_email = {intake_of.get(str(d["referral_id"])) for d in expected_to}
    add(
        Check(
            "missing messages",
            len(missing) + len(email_visits - told) + abs(len(told_by_email) - len(email_visits)),
            f"deliveries to consenting residents never at the sink {len(missing)}; resident "
            f"e-mail deliveries planned {len(deliveries)} for {len(visits)} visits with delivered "
            f"referrals, {len(email_visits)} of them with a consented address, untold "
            f"{len(email_visits - told)}; told {len(told_by_email)}; states {_counts(states)}",
        )
    )
    # a visit whose resident did not consent plans nothing, or (its news came before its
    # contact event) what it planned is skipped when the event says so
    unwilling = [
        d
        for d in deliveries
        if intake_of.get(str(d["referral_id"])) not in email_visits and d["state"] != "skipped"
    ]
    add(
        Check(
            "messages for residents who did not consent",
            len(unwilling),
            f"deliveries not skipped {len(unwilling)}, of which at the sink "
            f"{sum(1 for d in unwilling if at_sink.get(str(d['id']), 0))}",
        )
    )
    dlq = [t for t in existing if t.endswith(".dlq")]
    counts = await record_counts(bootstrap, dlq)
    add(Check("DLQ records", sum(counts.values()), _counts({k: v for k, v in counts.items() if v})))
    add(
        Check(
            "manual interventions",
            len(facts.interventions),
            "; ".join(facts.interventions)[:500],
        )
    )
    return checks


async def _email_visits(dsn: str, facts: Facts, referrals: list[asyncpg.Record]) -> set[str]:
    """Visits (intakes) with delivered referrals of households that gave an e-mail with
    'notification' consent (intake hashes KK numbers, so the households are matched by the
    KK's hash)."""
    from rujukan_intake.domain.identity import keyed_hash
    from rujukan_intake.settings import DEV_PII_KEY

    hashes = {keyed_hash(DEV_PII_KEY, kk) for kk in facts.email_households}
    households = {
        str(r[0])
        for r in await query(f"{dsn}/intake", "SELECT id, kk_hash FROM households")
        if r[1] in hashes
    }
    return {
        str(r["intake_id"])
        for r in referrals
        if r["status"] == "delivered" and str(r["household_id"]) in households
    }


def _counts(counts: dict[str, int] | Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


def table(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [f"{'check':{width}}  {'count':>7}  detail", f"{'-' * width}  {'-' * 7}  {'-' * 6}"]
    lines += [f"{c.name:{width}}  {c.value:7d}{' ' if c.gates else '*'} {c.detail}" for c in checks]
    if not all(c.gates for c in checks):
        lines.append("* reported, not counted as a failure")
    return "\n".join(lines)


def as_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [
        {"check": c.name, "count": c.value, "detail": c.detail, "gates": c.gates} for c in checks
    ]


def load_refused(rejects: Path) -> set[int]:
    if not rejects.exists():
        return set()
    with rejects.open() as f:
        return {json.loads(line)["record"] for line in f if line.strip()}


async def retrying(probe: Callable[[], Any], *, tries: int = 30) -> Any:
    """A probe that may meet a restarting server: try again for a while."""
    for attempt in range(tries):
        try:
            return await probe()
        except Exception:
            if attempt == tries - 1:
                raise
            await asyncio.sleep(2)
    raise AssertionError("unreachable")
