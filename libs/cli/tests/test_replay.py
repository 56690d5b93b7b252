"""``rujukan replay`` against the real router API (uvicorn on a free port) over a fresh database.

The CLI is a synchronous httpx client, so the router's app runs in a thread with its own event
loop; intakes are routed on that loop with the same use case the intake consumer runs.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from rich.console import Console
from sqlalchemy import text
from typer.testing import CliRunner, Result

from rujukan_cli import main
from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.runtime import Runtime, ServiceDefinition, build_app, migrate
from rujukan_platform.testing import Servers, free_port
from rujukan_registry.domain.programs import published_event
from rujukan_registry.settings import RegistrySettings
from rujukan_router.bootstrap import definition
from rujukan_router.entrypoints.jobs import replay_worker
from rujukan_router.service_layer.routing import route_intake
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork
from rujukan_router.settings import RouterSettings

pytestmark = pytest.mark.integration

SECRET = "a-test-secret-at-least-32-bytes-long!!"  # the router conftest's
HEADLESS = replace(definition, background=lambda _rt: [])  # no workers: `--wait` works the job
WITH_WORKER = replace(definition, background=lambda rt: [replay_worker(rt)])
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEADER = "household_id,found,decile,enrolments,has_kks\n"


class Router:
    """The router's real app served by uvicorn in a background thread."""

    def __init__(self, service: ServiceDefinition, settings: RouterSettings) -> None:
        self.service = service
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        self.runtime = Runtime(self.service, self.settings)
        self.runtime.on_fatal = lambda _exc: None
        st = self.runtime.deps
        for program in load_seed_programs(RegistrySettings().seed_dir):
            st.catalogue.put(published_event(program))
        st.view.ready.set()
        config = uvicorn.Config(
            build_app(self.runtime), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.loop = asyncio.get_running_loop()
        await self.server.serve()

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not (self.server and self.server.started):
            assert self.thread.is_alive() and time.monotonic() < deadline, "router did not start"
            time.sleep(0.05)
        # ready (the token revocations loaded): what it logs while loading is not mixed into
        # the output of a CLI command the test captures
        while httpx.get(self.url + "/readyz").status_code != 200:
            assert time.monotonic() < deadline, "router did not become ready"
            time.sleep(0.1)

    def stop(self) -> None:
        assert self.server is not None
        self.server.should_exit = True
        self.thread.join(30)

    def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on the server's loop (its engine and sessions belong to that loop)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def route(self, count: int) -> list[str]:
        """Route ``count`` copies of the contract's example household (PKH and PBI-JK);
        their household ids."""

        async def run() -> list[str]:
            example = resources.files("rujukan_contracts") / "examples" / "intake.submitted.json"
            households = []
            for _ in range(count):
                intake = IntakeSubmittedV1.model_validate(
                    {
                        **json.loads(example.read_text("utf-8")),
                        "intake_id": str(uuid.uuid4()),
                        "household_id": str(uuid.uuid4()),
                    }
                )
                uow = self.runtime.unit_of_work()
                assert isinstance(uow, RouterUnitOfWork)
                async with uow:
                    await route_intake(uow, intake, self.runtime.deps.catalogue)
                    await uow.commit()
                households.append(str(intake.household_id))
            return households

        result: list[str] = self.call(run())
        return result

    def scalar(self, sql: str, **params: Any) -> Any:
        async def run() -> Any:
            async with self.runtime.sessions() as session:
                return await session.scalar(text(sql), params)

        return self.call(run())


def serve(
    servers: Servers, database: str, service: ServiceDefinition, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Router]:
    settings = RouterSettings(
        kafka_bootstrap=servers.kafka_bootstrap,
        pg_url=servers.pg_url,
        database=database,
        environment="test",
        auth_secret=SECRET,
        run_consumers="none",
        run_relay=False,
        log_json=False,
    )
    migrate(service, settings.dsn)
    router = Router(service, settings)
    router.start()
    # URLS is read when the CLI module is imported; the token is read per command
    monkeypatch.setattr(main, "console", Console(width=200))  # tables and messages unwrapped
    monkeypatch.setitem(main.URLS, "referral-router", router.url)
    monkeypatch.setenv(
        "RUJUKAN_TOKEN", issue_token(SECRET, Principal(subject="test-admin", role="admin"))
    )
    try:
        yield router
    finally:
        router.stop()


@pytest.fixture
def router(
    servers: Servers, fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Router]:
    yield from serve(servers, fresh_database, HEADLESS, monkeypatch)


@pytest.fixture
def router_with_worker(
    servers: Servers, fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Router]:
    yield from serve(servers, fresh_database, WITH_WORKER, monkeypatch)


def rujukan(*args: str) -> Result:
    return CliRunner().invoke(main.app, ["replay", *args])


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_start_waits_for_a_done_report(router: Router) -> None:
    router.route(2)
    shown = rujukan("start", "--wait", "30")
    assert shown.exit_code == 0, shown.output
    assert "done" in shown.output and "dry run" in shown.output
    assert "2 households evaluated" in shown.output and "no gains or losses" in shown.output

    job = as_json(rujukan("start", "--wait", "30", "--program", "PKH", "--apply", "--json"))
    assert job["status"] == "done" and job["apply"] and job["programs"] == ["PKH"]
    assert job["households_evaluated"] == 2 and job["report"]["intakes_evaluated"] == 2
    assert job["report"]["gains"] == {} and job["report"]["losses"] == {}

    since = as_json(rujukan("start", "--wait", "30", "--since", "2100-01-01", "--json"))
    assert since["households_evaluated"] == 0  # nothing submitted since


def test_registry_updates_from_csv_and_jsonl_show_losses(router: Router, tmp_path: Path) -> None:
    households = router.route(4)
    refreshed = tmp_path / "refresh.csv"
    refreshed.write_text(HEADER + "".join(f"{h},true,9,,1\n" for h in households[:3]))
    shown = rujukan("start", "--registry-updates", str(refreshed), "--wait", "30")
    assert shown.exit_code == 0, shown.output
    assert "registry updates sent" in shown.output and "PKH" in shown.output

    job = as_json(rujukan("start", "--registry-updates", str(refreshed), "--wait", "30", "--json"))
    assert job["status"] == "done" and job["households_evaluated"] == 4
    assert job["report"]["losses"]["PKH"] == 3  # decile 9: no longer PKH

    lines = tmp_path / "refresh.jsonl"
    lines.write_text(
        json.dumps({"household_id": households[3], "decile": 9, "has_kks": True}) + "\n"
    )
    job = as_json(rujukan("start", "--registry-updates", str(lines), "--wait", "30", "--json"))
    assert job["report"]["losses"]["PKH"] == 1


def test_registry_updates_go_in_chunks_of_at_most_ten_thousand(
    router: Router, tmp_path: Path
) -> None:
    refreshed = tmp_path / "national.csv"
    with refreshed.open("w") as f:
        f.write(HEADER)
        for _ in range(10_001):
            f.write(f"{uuid.uuid4()},1,3,PKH;PBI-JK,0\n")
    job = as_json(rujukan("start", "--registry-updates", str(refreshed), "--json"))
    assert job["status"] == "pending"  # no workers here, and no wait
    stored = router.scalar(
        "SELECT count(*) FROM replay_registry_updates WHERE replay_id = :id", id=job["replay_id"]
    )
    assert stored == 10_001  # two requests: the router takes 10,000 per request


def test_a_bad_row_stops_before_the_start_and_leaves_a_draft(
    router: Router, tmp_path: Path
) -> None:
    (household,) = router.route(1)
    refreshed = tmp_path / "refresh.csv"
    refreshed.write_text(HEADER + f"{household},true,9,,1\n{uuid.uuid4()},true,11,,0\n")
    failed = rujukan("start", "--registry-updates", str(refreshed), "--wait", "30")
    assert failed.exit_code == 1
    assert "line 3: decile: 1..10 or empty, not '11'" in failed.output
    (draft_id,) = set(UUID_RE.findall(failed.output))
    assert as_json(rujukan("status", draft_id, "--json"))["status"] == "draft"

    (tmp_path / "bad.csv").write_text(HEADER + "not-a-uuid,true,,,\n")
    failed = rujukan("start", "--registry-updates", str(tmp_path / "bad.csv"), "--json")
    assert failed.exit_code == 1 and "line 2: household_id" in failed.output

    assert as_json(rujukan("cancel", draft_id, "--json"))["status"] == "cancelled"
    again = rujukan("cancel", draft_id)
    assert again.exit_code == 1 and "sudah berstatus cancelled" in again.output


def test_list_status_and_cancel(router: Router) -> None:
    router.route(1)
    done = as_json(rujukan("start", "--wait", "30", "--json"))
    pending = as_json(rujukan("start", "--json"))  # no workers: it waits for one
    assert pending["status"] == "pending"

    cancelled = rujukan("cancel", pending["replay_id"])
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    listed = as_json(rujukan("list", "--json"))
    assert [(j["replay_id"], j["status"]) for j in listed] == [
        (pending["replay_id"], "cancelled"),
        (done["replay_id"], "done"),
    ]
    assert len(as_json(rujukan("list", "--limit", "1", "--json"))) == 1
    table = rujukan("list")
    assert table.exit_code == 0 and "cancelled" in table.output and "done" in table.output

    status = rujukan("status", done["replay_id"])
    assert status.exit_code == 0 and "1 households evaluated" in status.output
    missing = rujukan("status", str(uuid.uuid4()))
    assert missing.exit_code == 1 and "404 tidak ditemukan: replay" in missing.output


def test_follow_polls_until_a_worker_finishes(router_with_worker: Router) -> None:
    router_with_worker.route(3)
    job = as_json(rujukan("start", "--follow", "--json"))  # no wait: the worker runs it
    assert job["status"] == "done" and job["households_evaluated"] == 3
    shown = rujukan("start", "--follow")
    assert shown.exit_code == 0 and "done" in shown.output, shown.output
