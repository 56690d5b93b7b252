"""Measure what a routed household costs on disk, for docs/capacity.md: the rows and bytes of
every table of every service's database, and the records and bytes of every Kafka topic.

Run it on the state a pipeline run kept (its servers stopped):

    uv run python bench/pipeline_throughput.py --phases a --households 10000 --backlog 0 \
        --single 0 --latency-seconds 0 --state .local/sizing/pipeline-bench --keep-state
    RUJUKAN_STATE_DIR=.local/sizing/pipeline-bench PG_PORT=<its port> \
        bash deploy/local/postgres.sh start
    uv run python bench/capacity_sizes.py --households 10000 \
        --pg-url postgresql://rujukan:rujukan@127.0.0.1:<its port> \
        --kafka-data .local/sizing/pipeline-bench/kafka-<its port>/data

PostgreSQL: ``pg_total_relation_size`` (heap, indexes, TOAST) and an exact ``count(*)`` per
table, before and after ``VACUUM`` (a run's deleted outbox rows are dead tuples until then).
Kafka: the log segments are read offline (record batch format v2: a batch's length at byte 8,
its record count at byte 57), so no broker is needed; bytes are the segments' sizes on disk,
one replica, without the index files.
"""

from __future__ import annotations

import argparse
import asyncio
import struct
from collections import defaultdict
from pathlib import Path

import asyncpg

DATABASES = ("intake", "registry", "router", "notifications")
BATCH_HEADER = 61  # bytes of a v2 record batch before its first record


def segment_records(path: Path) -> int:
    """Records in one Kafka log segment (control batches included: they are on disk too)."""
    data = path.read_bytes()
    records, at = 0, 0
    while at + BATCH_HEADER <= len(data):
        (length,) = struct.unpack_from(">i", data, at + 8)
        if length <= 0:
            break
        (records_in_batch,) = struct.unpack_from(">i", data, at + 57)
        records += records_in_batch
        at += 12 + length
    return records


def topic_sizes(data_dir: Path) -> dict[str, tuple[int, int, int]]:
    """topic -> (partitions, records, bytes of its segments)."""
    sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for partition in sorted(p for p in data_dir.iterdir() if p.is_dir() and "-" in p.name):
        topic, _, number = partition.name.rpartition("-")
        if not number.isdigit() or topic.startswith("__"):
            continue
        entry = sizes[topic]
        entry[0] += 1
        for segment in partition.glob("*.log"):
            entry[1] += segment_records(segment)
            entry[2] += segment.stat().st_size
    return {t: (p, r, b) for t, (p, r, b) in sizes.items()}


async def table_sizes(url: str) -> list[tuple[str, int, int]]:
    """(table, rows, total bytes) of every table in the public schema, largest first."""
    conn = await asyncpg.connect(url)
    try:
        names = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        out = []
        for (name,) in names:
            rows = await conn.fetchval(f'SELECT count(*) FROM "{name}"')
            size = await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", name)
            out.append((name, rows, size))
        return sorted(out, key=lambda t: -t[2])
    finally:
        await conn.close()


async def vacuum(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM")
    finally:
        await conn.close()


def per(value: int, households: int) -> str:
    return f"{value / households:10.1f}"


async def report_databases(base: str, households: int) -> None:
    print("PostgreSQL: table, rows, total bytes (heap+indexes+TOAST), before VACUUM -> after")
    print(
        f"{'':34}{'rows':>10}{'rows/hh':>11}{'MB before':>11}{'MB after':>10}"
        f"{'B/row':>8}{'B/hh':>10}"
    )
    for db in DATABASES:
        url = f"{base}/{db}"
        before = {n: s for n, _, s in await table_sizes(url)}
        await vacuum(url)
        after = await table_sizes(url)
        total = sum(s for _, _, s in after)
        print(f"{db}: {total / 1e6:.1f} MB after VACUUM = {total / households:,.0f} B/household")
        for name, rows, size in after:
            if size < 50_000 and rows < households // 10:
                continue  # catalogue and bookkeeping: constant, not per household
            per_row = f"{size / rows:8.0f}" if rows else f"{'-':>8}"
            print(
                f"  {name:32}{rows:10d}{per(rows, households):>11}"
                f"{before.get(name, 0) / 1e6:11.1f}{size / 1e6:10.1f}{per_row}"
                f"{size / households:10.0f}"
            )


def report_topics(data_dir: Path, households: int) -> None:
    print("Kafka (one replica, segments only): topic, partitions, records, bytes")
    print(f"{'':40}{'parts':>6}{'records':>10}{'rec/hh':>8}{'MB':>8}{'B/record':>9}{'B/hh':>8}")
    sizes = topic_sizes(data_dir)
    grouped: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for topic, (parts, records, size) in sizes.items():
        kind = topic
        if topic.startswith("referrals.") and topic != "referrals.status":
            kind = "referrals.<program>" + (".outcomes" if topic.endswith(".outcomes") else "")
            kind += ".dlq" if topic.endswith(".dlq") else ""
        for i, v in enumerate((parts, records, size)):
            grouped[kind][i] += v
    for kind, (parts, records, size) in sorted(grouped.items(), key=lambda t: -t[1][2]):
        if not records:
            continue
        print(
            f"  {kind:38}{parts:6d}{records:10d}{records / households:8.2f}"
            f"{size / 1e6:8.1f}{size / records:9.0f}{size / households:8.0f}"
        )
    total = sum(s for _, _, s in sizes.values())
    print(f"  all topics: {total / 1e6:.1f} MB = {total / households:,.0f} B/household")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, required=True, help="households the run routed")
    ap.add_argument("--pg-url", required=True, help="postgresql://user:password@host:port")
    ap.add_argument("--kafka-data", type=Path, help="the broker's data directory")
    args = ap.parse_args()
    asyncio.run(report_databases(args.pg_url.rstrip("/"), args.households))
    if args.kafka_data:
        report_topics(args.kafka_data, args.households)


if __name__ == "__main__":
    main()
