"""Bulk import: resumable, idempotent, with a report of refused rows; 100,000 rows in bounded
memory through the real service."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from rujukan_intake.entrypoints.bulk import Importer
from rujukan_intake.synthetic import households
from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.testing import Servers, free_port

from .conftest import SECRET, running_intake

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


def operator_token() -> str:
    return issue_token(SECRET, Principal(subject="importer", role="operator", regions=["33.04"]))


def write_file(path: Path, count: int, *, broken: dict[int, str] | None = None) -> None:
    with path.open("w") as f:
        for i, record in enumerate(households(count)):
            if broken and i in broken:
                kind = broken[i]
                if kind == "json":
                    f.write("{not json\n")
                    continue
                if kind == "nik":
                    record["members"][0]["nik"] = "1234"
                if kind == "consent":
                    del record["consent"]
                if kind == "shape":
                    record["members"] = "nobody"
            f.write(json.dumps(record) + "\n")


async def test_an_interrupted_import_resumes_without_duplicates_and_reports_refusals(
    servers: Servers, fresh_database: str, catalogue_topics: None, tmp_path: Path
) -> None:
    source = tmp_path / "households.jsonl"
    broken = {3: "nik", 10: "json", 450: "consent", 777: "shape"}
    write_file(source, 1000, broken=broken)
    checkpoint, rejects = tmp_path / "ckpt", tmp_path / "rejects.jsonl"
    async with running_intake(servers, fresh_database) as intake:
        port = free_port()
        config = uvicorn.Config(
            intake.app, host="127.0.0.1", port=port, log_level="error", lifespan="off"
        )
        server = uvicorn.Server(config)  # the same app, over real HTTP for the sync CLI client
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        try:

            def run(stop_after: int | None) -> object:
                with httpx.Client(
                    base_url=f"http://127.0.0.1:{port}",
                    timeout=60,
                    headers={"Authorization": f"Bearer {operator_token()}"},
                ) as c:
                    importer = Importer(
                        client=c,
                        path=source,
                        checkpoint_path=checkpoint,
                        rejects_path=rejects,
                        batch_size=100,
                    )
                    return importer.run(stop_after=stop_after)

            first = await asyncio.to_thread(run, 400)
            assert first.records_done == 400  # type: ignore[attr-defined]
            # a crash after the server committed a batch but before the checkpoint moved:
            data = json.loads(checkpoint.read_text())
            checkpoint.write_text(json.dumps({**data, "records_done": 300}))
            done = await asyncio.to_thread(run, None)
        finally:
            server.should_exit = True
            await task
        assert done.records_done == 1000  # type: ignore[attr-defined]
        assert await intake.count("intakes") == 1000 - len(broken)
        assert await intake.count("households") == 1000 - len(broken)
        reported = [json.loads(line) for line in rejects.read_text().splitlines()]
        by_record = {r["record"]: r["errors"] for r in reported}
        assert set(by_record) == set(broken)
        assert by_record[3][0]["field"] == "members[0].nik"
        assert by_record[10][0]["reason"].startswith("line is not JSON")
        assert by_record[450][0]["field"] == "consent"
        assert by_record[777][0]["field"] == "members"


@pytest.mark.xdist_group("heavy")
async def test_a_hundred_thousand_rows_in_bounded_memory(
    servers: Servers, fresh_database: str, catalogue_topics: None, tmp_path: Path
) -> None:
    count = 100_000
    source = tmp_path / "households.jsonl"
    write_file(source, count)
    port = free_port()
    env = {
        **os.environ,
        "RUJUKAN_ENVIRONMENT": "test",
        "RUJUKAN_KAFKA_BOOTSTRAP": servers.kafka_bootstrap,
        "RUJUKAN_PG_URL": servers.pg_url,
        "RUJUKAN_AUTH_SECRET": SECRET,
        "RUJUKAN_INTAKE_DATABASE": fresh_database,
        "RUJUKAN_INTAKE_PORT": str(port),
        "RUJUKAN_RUN_RELAY": "false",  # the events stay in the outbox: no one else's topic fills
        "RUJUKAN_RUN_CONSUMERS": "none",
        "RUJUKAN_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "-m", "rujukan_intake", "migrate"],
        env=env,
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "rujukan_intake", "serve"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(200):
                try:
                    if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        cli, peak_kib = await asyncio.to_thread(
            run_measured,
            [
                sys.executable,
                "-m",
                "rujukan_intake",
                "import",
                str(source),
                "--url",
                f"http://127.0.0.1:{port}",
                "--batch",
                "500",
            ],
            {**env, "RUJUKAN_TOKEN": operator_token()},
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert f"{count}/{count} records done, {count} accepted" in cli.stdout
    print(f"\nbulk import: {cli.stdout.strip()}; CLI peak RSS {peak_kib / 1024:.0f} MiB")
    assert (
        peak_kib < 160 * 1024
    )  # ~100 MiB: imports ~90, then one batch at a time (the file is 67 MB)


def run_measured(
    args: list[str], env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run a command; its result and its own peak RSS in KiB.

    Read from ``VmHWM`` while it runs, not from ``wait4``: Linux carries the high-water mark of
    the memory a process had before ``exec`` into its rusage, and a vforked child's memory
    before ``exec`` is this test worker's (hundreds of MiB late in the suite)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=out, stderr=err, text=True)
        status, peak_kib = Path(f"/proc/{proc.pid}/status"), 0
        while proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kib = max(peak_kib, int(line.split()[1]))
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(args, proc.returncode, out.read(), err.read())
    assert peak_kib > 0, "the CLI's memory was never read"
    return done, peak_kib
