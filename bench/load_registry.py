"""Benchmark: ``python -m rujukan_intake load-registry`` with a national-size registry file.

Run:  cd /work/main && uv run python bench/load_registry.py [--rows 1000000] \
          [--pg-url postgresql://rujukan:rujukan@127.0.0.1:15432]

Generates a CSV of N families (kk,decile,enrolments,has_kks) in a temporary directory, makes a
database of its own on the given PostgreSQL (migrated like intake's; dropped at the end) and
runs the real command under ``/usr/bin/time -v`` three times:

1. first load: every family new;
2. the same file again: every family unchanged (nothing rewritten);
3. a refresh: 10 % of families change decile and 1 % are new.

For each it prints the command's own summary line, the wall time, the CPU of the loader and of
PostgreSQL (the server must run on this machine), the loader's peak RSS (memory must not grow
with the file), and the time 25.7 M families would take at the same rate. On a shared machine
wall time follows the load average; the CPU seconds do not. The files are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
NATIONAL = 25_700_000
ENROLMENTS = ["", "", "", "PKH", "SEMBAKO", "PKH;SEMBAKO", "PBI-JK", "PKH;PBI-JK;SEMBAKO"]


def generate(path: Path, rows: int, *, seed: int, changed: float = 0.0, new: float = 0.0) -> None:
    """Families 0..rows-1 (and ``new`` x rows more); ``changed`` of them with another decile."""
    rng = random.Random(seed)
    with path.open("w") as f:
        f.write("kk,decile,enrolments,has_kks\n")
        for i in range(rows + int(rows * new)):
            decile = (i * 7) % 10 + 1
            if i < rows and rng.random() < changed:
                decile = decile % 10 + 1
            has_kks = "true" if i % 3 == 0 else "false"
            f.write(f"33{i * 7919 % 10**14:014d},{decile},{ENROLMENTS[i % 8]},{has_kks}\n")


def run_load(path: Path, env: dict[str, str]) -> dict[str, str | float]:
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-m", "rujukan_intake", "load-registry", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"load-registry failed:\n{done.stdout}\n{done.stderr}")

    def field(name: str) -> str:
        found = re.search(rf"{re.escape(name)}: (.+)", done.stderr)
        assert found, name
        return found.group(1).strip()

    minutes, seconds = field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")[-2:]
    return {
        "summary": done.stdout.strip(),
        "wall": int(minutes) * 60 + float(seconds),
        "cpu": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "rss_mib": int(field("Maximum resident set size (kbytes)")) / 1024,
    }


async def database(pg_dsn: str, name: str, *, create: bool) -> int:
    """(Re)create or drop the benchmark's database; the server's postmaster pid."""
    conn = await asyncpg.connect(f"{pg_dsn}/postgres")
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name}")
        if create:
            await conn.execute(f"CREATE DATABASE {name}")
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        return await asyncio.to_thread(parent, backend)  # while the backend lives
    finally:
        await conn.close()


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def cpu_seconds(postmaster: int) -> float:
    """CPU of a PostgreSQL server so far: the postmaster, its live children, and (as the
    postmaster's reaped-children time) the backends that already exited."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def commit_line() -> str:
    head = subprocess.run(
        ["git", "log", "-1", "--format=%h %s"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "services/intake", "libs/platform"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    return f"code: {head}; uncommitted in intake/platform: {'yes' if dirty else 'none'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "RUJUKAN_BENCH_PG_URL", "postgresql://rujukan:rujukan@127.0.0.1:15432"
        ),
        help="a PostgreSQL server (no database): one is created and dropped",
    )
    args = parser.parse_args()
    name = "bench_load_registry"
    pg_dsn = args.pg_url.replace("postgresql+asyncpg://", "postgresql://").rstrip("/")
    env = {
        **os.environ,
        "RUJUKAN_PG_URL": pg_dsn.replace("postgresql://", "postgresql+asyncpg://"),
        "RUJUKAN_INTAKE_DATABASE": name,
        "RUJUKAN_INTAKE_PII_KEY": "bench-load-registry-key",
        "RUJUKAN_LOG_JSON": "false",
    }
    print(datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    print(commit_line())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}; python {platform.python_version()}")
    postmaster = asyncio.run(database(pg_dsn, name, create=True))
    try:
        subprocess.run(
            [sys.executable, "-m", "rujukan_intake", "migrate"],
            env=env,
            check=True,
            capture_output=True,
        )
        with tempfile.TemporaryDirectory(prefix="load-registry-") as tmp:
            first, refresh = Path(tmp) / "dtks.csv", Path(tmp) / "dtks-refresh.csv"
            started = time.monotonic()
            generate(first, args.rows, seed=1)
            generate(refresh, args.rows, seed=2, changed=0.10, new=0.01)
            size = first.stat().st_size / 2**20
            took = time.monotonic() - started
            print(f"files: {args.rows:,} families, {size:.0f} MiB (written in {took:.0f} s)")
            runs = [
                ("1. first load (all new)", first),
                ("2. the same file again (all unchanged)", first),
                ("3. a refresh (10 % changed, 1 % new)", refresh),
            ]
            for title, path in runs:
                pg_before = cpu_seconds(postmaster)
                r = run_load(path, env)
                pg_cpu = cpu_seconds(postmaster) - pg_before
                rows = sum(1 for _ in path.open("rb")) - 1
                rate = rows / float(r["wall"])
                print(title)
                print(f"    {r['summary']}")
                print(
                    f"    wall {r['wall']:.1f} s = {rate:,.0f} rows/s (process start included); "
                    f"CPU: loader {r['cpu']:.1f} s, PostgreSQL {pg_cpu:.1f} s; "
                    f"loader peak RSS {r['rss_mib']:.0f} MiB"
                )
                print(f"    25.7 M families at this rate: {NATIONAL / rate / 60:.0f} min")
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average after: {load}")
    finally:
        asyncio.run(database(pg_dsn, name, create=False))


if __name__ == "__main__":
    main()
