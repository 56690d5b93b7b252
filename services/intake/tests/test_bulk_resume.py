"""The bulk import after an interruption: every refused row is in the report once, and the
progress is one bar.

The interruption is real: the second run's service is unreachable after the first batch's
local refusals were written, so its checkpoint stays behind them; the third run resumes."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from io import StringIO
from pathlib import Path

import httpx
import pytest
import uvicorn
from rich.console import Console

from rujukan_intake.entrypoints.bulk import (
    Checkpoint,
    ImportAborted,
    Importer,
    count_records,
    run_with_progress,
)
from rujukan_intake.synthetic import households
from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.testing import Servers, free_port

from .conftest import SECRET, running_intake

pytestmark = pytest.mark.integration
REFUSED = {5: "shape", 150: "shape", 250: "shape", 251: "nik", 420: "shape"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BAR = re.compile(r"[━╸╺]+")  # rich's bar: a run of these, once per bar drawn


def write_file(path: Path, count: int) -> None:
    with path.open("w") as f:
        for i, record in enumerate(households(count)):
            if REFUSED.get(i) == "shape":
                record["members"] = "nobody"
            elif REFUSED.get(i) == "nik":
                record["members"][0]["nik"] = "1234"
            f.write(json.dumps(record) + "\n")


@asynccontextmanager
async def served(servers: Servers, database: str) -> AsyncIterator[str]:
    """The intake service over real HTTP (the importer's client is synchronous)."""
    async with running_intake(servers, database) as intake:
        port = free_port()
        config = uvicorn.Config(
            intake.app, host="127.0.0.1", port=port, log_level="error", lifespan="off"
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task


def importer(url: str, tmp: Path, client: httpx.Client) -> Importer:
    return Importer(
        client=client,
        path=tmp / "households.jsonl",
        checkpoint_path=tmp / "households.jsonl.checkpoint",
        rejects_path=tmp / "households.jsonl.rejects.jsonl",
        batch_size=100,
        max_retries=0,
    )


def client(url: str) -> httpx.Client:
    token = issue_token(SECRET, Principal(subject="importer", role="operator", regions=["33.04"]))
    return httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"})


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bars_in_last_frame(terminal: str) -> int:
    frames = [f for f in re.split(r"[\r\n]", ANSI.sub("", terminal)) if BAR.search(f)]
    assert frames, f"no progress drawn:\n{terminal!r}"
    return len(BAR.findall(frames[-1]))


async def test_a_resumed_import_reports_each_refused_row_once_under_one_bar(
    servers: Servers, fresh_database: str, catalogue_topics: None, tmp_path: Path
) -> None:
    write_file(tmp_path / "households.jsonl", 500)
    total = count_records(tmp_path / "households.jsonl")
    terminal = StringIO()
    console = Console(file=terminal, force_terminal=True, width=120)

    async with served(servers, fresh_database) as url:

        def first() -> Checkpoint:
            with client(url) as c:
                return run_with_progress(importer(url, tmp_path, c), total, console, stop_after=200)

        def interrupted() -> None:  # refuses 250 locally, then finds no service
            with (
                client(f"http://127.0.0.1:{closed_port()}") as c,
                pytest.raises(ImportAborted, match=r"^layanan intake tidak terjangkau"),
            ):
                importer(url, tmp_path, c).run()

        def resumed() -> Checkpoint:
            with client(url) as c:
                return run_with_progress(importer(url, tmp_path, c), total, console)

        assert (await asyncio.to_thread(first)).records_done == 200
        await asyncio.to_thread(interrupted)
        written = (tmp_path / "households.jsonl.rejects.jsonl").read_text().splitlines()
        assert sorted(json.loads(line)["record"] for line in written) == [5, 150, 250]
        done = await asyncio.to_thread(resumed)

    lines = (tmp_path / "households.jsonl.rejects.jsonl").read_text().splitlines()
    reported = Counter(json.loads(line)["record"] for line in lines)
    print(f"\nrefused rows reported: {dict(reported)}; checkpoint: {done}")
    assert reported == Counter(list(REFUSED)), "a refused row reported twice or not at all"
    assert done.records_done == total == 500
    assert done.refused == len(REFUSED) and done.accepted == 500 - len(REFUSED)
    assert bars_in_last_frame(terminal.getvalue()) == 1
