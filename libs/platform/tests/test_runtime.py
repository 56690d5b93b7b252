"""A service process comes back by itself: it starts while the broker and the database are
away and waits, not ready; a failing background task is restarted, not the process."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from uuid import uuid4

import pytest
from aiokafka.admin import NewTopic
from prometheus_client import REGISTRY
from sqlalchemy import Column, MetaData, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncEngine

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import ReferralStatusChangedV1
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.db import make_engine, new_metadata
from rujukan_platform.handlers import Handlers
from rujukan_platform.kafka import create_topics, make_producer
from rujukan_platform.runtime import Runtime, ServiceDefinition, build_app
from rujukan_platform.settings import ServiceSettings
from rujukan_platform.testing import (
    Servers,
    TcpProxy,
    client_of,
    eventually,
    own_service,
    status_changed,
    unique_topic,
)
from rujukan_platform.uow import UnitOfWork

pytestmark = pytest.mark.integration


def _definition(
    topic: str, metadata: MetaData, effects: Table, jobs: list[object], *, patient: bool = False
) -> ServiceDefinition[None]:
    async def handle(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        await uow.session.execute(effects.insert().values(note=event.note))

    def consumers(rt: Runtime[None]) -> list[ConsumerSpec]:
        spec = ConsumerSpec(
            name="runtime-test",
            topics=[topic],
            group_id=f"g-{uuid4().hex[:8]}",
            handlers=rt.handlers.only(ReferralStatusChangedV1),
            patient=patient,
        )
        return [spec]

    return own_service(
        "runtime-test",
        metadata,
        handlers=lambda _rt: Handlers[UnitOfWork]().on(ReferralStatusChangedV1, handle),
        consumers=consumers,
        background=lambda _rt: jobs,  # type: ignore[arg-type,return-value]
    )


@pytest.fixture
async def outage(servers: Servers) -> AsyncIterator[tuple[TcpProxy, TcpProxy]]:
    pg_host, pg_port = servers.pg_url.rsplit("@", 1)[1].split(":")
    k_host, k_port = servers.kafka_bootstrap.split(",")[0].split(":")
    proxies = TcpProxy(pg_host, int(pg_port)), TcpProxy(k_host, int(k_port))
    yield proxies
    for proxy in proxies:
        await proxy.down()


@dataclass
class Effects:
    """A topic of its own and the table its test consumer writes each event's note to."""

    topic: str
    metadata: MetaData
    table: Table
    engine: AsyncEngine

    async def notes(self) -> list[str]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(select(self.table.c.note))).scalars())


@pytest.fixture
async def effects(servers: Servers, fresh_database: str) -> AsyncIterator[Effects]:
    topic = unique_topic("runtime")
    await create_topics(servers.kafka_bootstrap, [NewTopic(topic, 1, 1)])
    metadata = new_metadata()
    table = Table("effects", metadata, Column("note", Text))
    engine = make_engine(f"{servers.pg_url}/{fresh_database}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield Effects(topic, metadata, table, engine)
    await engine.dispose()


async def send_note(servers: Servers, topic: str, note: str) -> None:
    """One status event carrying ``note``, published the way a service's relay does."""
    producer = make_producer(servers.kafka_bootstrap, client_id="t")
    await producer.start()
    try:
        event = status_changed(note)
        meta = EventMeta(type=event.ce_type, source="/t", subject="s")
        await producer.send_and_wait(
            topic, event.model_dump_json().encode(), headers=meta.to_headers()
        )
    finally:
        await producer.stop()


async def test_a_service_started_while_kafka_and_postgres_are_down_waits_then_works(
    servers: Servers, fresh_database: str, outage: tuple[TcpProxy, TcpProxy], effects: Effects
) -> None:
    pg, kafka = outage  # both down: nothing listens on their ports yet
    user = servers.pg_url.rsplit("@", 1)[0]
    settings = ServiceSettings(
        service="runtime-test",
        environment="test",
        database_url=f"{user}@{pg.address}/{fresh_database}",
        kafka_bootstrap=kafka.address,
    )
    runtime = Runtime(_definition(effects.topic, effects.metadata, effects.table, []), settings)
    runtime.on_fatal = lambda exc: pytest.fail(f"the service stopped itself: {exc!r}")
    app = build_app(runtime)
    client = client_of(app)
    await runtime.start(relay=True, consumers=None)  # returns although nothing answers
    try:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["database"].startswith("failing: ")
        assert checks["kafka"] == "failing: NotReady: waiting for the broker"
        assert (await client.get("/healthz")).status_code == 200

        await pg.up()
        await kafka.up()
        await send_note(servers, effects.topic, "after the outage")
        assert await eventually(effects.notes, timeout=60) == ["after the outage"]
        ready = await eventually(lambda: _status(client.get("/readyz"), 200), timeout=30)
        assert ready
    finally:
        await runtime.stop()
        await client.aclose()


async def _status(response: object, expected: int) -> bool:
    return (await response).status_code == expected  # type: ignore[misc, attr-defined]


async def test_a_failing_background_task_is_restarted_and_shown_not_the_process(
    servers: Servers, fresh_database: str
) -> None:
    runs: list[int] = []

    async def flaky(stop: asyncio.Event) -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the first run fails")
        await stop.wait()

    metadata = new_metadata()
    settings = ServiceSettings(
        service="runtime-test",
        environment="test",
        database_url=f"{servers.pg_url}/{fresh_database}",
        kafka_bootstrap=servers.kafka_bootstrap,
    )
    runtime = Runtime(
        _definition(unique_topic("x"), metadata, Table("e", metadata), [flaky]), settings
    )
    runtime.on_fatal = lambda exc: pytest.fail(f"the service stopped itself: {exc!r}")
    before = REGISTRY.get_sample_value("rujukan_task_restarts_total", {"task": "flaky"}) or 0
    await runtime.start(relay=False, consumers=[])
    try:
        await eventually(lambda: runtime.task_failures.get("flaky"))
        assert runtime.task_failures["flaky"] == "RuntimeError: the first run fails"
        await eventually(lambda: len(runs) == 2, timeout=10)
        after = REGISTRY.get_sample_value("rujukan_task_restarts_total", {"task": "flaky"})
        assert after == before + 1
        await eventually(lambda: "flaky" not in runtime.task_failures, timeout=10)
    finally:
        await runtime.stop()


@pytest.mark.parametrize(
    ("env", "niceness"),
    [
        ({}, 0),
        ({"RUJUKAN_CPU_NICENESS": "7"}, 7),
        # a service's own setting wins over the shared one (make up's notifications at 10)
        ({"RUJUKAN_CPU_NICENESS": "3", "RUJUKAN_NICENESS_PROBE_CPU_NICENESS": "10"}, 10),
    ],
)
def test_a_service_command_runs_at_the_niceness_its_settings_ask_for(
    env: dict[str, str], niceness: int
) -> None:
    """Every command of a service's command line (here ``migrate``, its work replaced by a
    probe) lowers the process's priority before it does anything; in a subprocess: a test must
    not lower its own."""
    probe = (
        "import os\n"
        "from pathlib import Path\n"
        "from sqlalchemy import MetaData\n"
        "from rujukan_platform import runtime\n"
        "from rujukan_platform.settings import ServiceSettings\n"
        "runtime.migrate = lambda definition, dsn: print(os.nice(0))\n"
        "definition = runtime.ServiceDefinition(\n"
        "    name='niceness-probe', title='', description='', metadata=MetaData(),\n"
        "    settings_factory=lambda: ServiceSettings(service='niceness-probe'),\n"
        "    migrations=Path('.'), routers=[])\n"
        "runtime.command_line(definition)(['migrate'], standalone_mode=False)\n"
    )
    clean = {k: v for k, v in os.environ.items() if "NICENESS" not in k}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=clean | env | {"RUJUKAN_LOG_JSON": "false"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(done.stdout.split()[0]) == max(niceness, os.nice(0))


def test_a_niceness_outside_0_to_19_is_refused() -> None:
    for wrong in (-1, 20):
        with pytest.raises(ValueError, match="cpu_niceness"):
            ServiceSettings(cpu_niceness=wrong)


async def test_a_patient_consumer_gathers_its_fetches_and_still_handles_a_lone_record(
    servers: Servers, fresh_database: str, effects: Effects
) -> None:
    """A patient consumer asks the broker to hold its fetches for the patient settings' bytes
    (the others keep answering at the first byte); a lone record, far below them, is handled
    once the wait has passed, not left waiting for more."""
    settings = ServiceSettings(
        service="runtime-test",
        environment="test",
        database_url=f"{servers.pg_url}/{fresh_database}",
        kafka_bootstrap=servers.kafka_bootstrap,
        consumer_patient_fetch_min_bytes=1 << 20,
        consumer_patient_fetch_max_wait_ms=700,
    )
    definition = _definition(effects.topic, effects.metadata, effects.table, [], patient=True)
    runtime = Runtime(definition, settings)
    runtime.on_fatal = lambda exc: pytest.fail(f"the service stopped itself: {exc!r}")
    await runtime.start(relay=False, consumers=None)
    try:
        await eventually(lambda: "runtime-test" in runtime.runners)
        consumer = runtime.runners["runtime-test"]._consumer
        # aiokafka keeps what it asks the broker for as given (its fetcher is built from them)
        assert (consumer._fetch_min_bytes, consumer._fetch_max_wait_ms) == (1 << 20, 700)
        await send_note(servers, effects.topic, "a lone record")
        assert await eventually(effects.notes, timeout=60) == ["a lone record"]
    finally:
        await runtime.stop()


async def test_a_service_that_says_so_gets_a_patient_relay(effects: Effects) -> None:
    """``patient_relay`` gives the relay the settings' patience; other services' relays look
    as soon as a commit wakes them (the relay's own test shows what the patience does)."""
    prompt = _definition(effects.topic, effects.metadata, effects.table, [])
    settings = ServiceSettings(service="runtime-test", outbox_patient_seconds=0.7)
    runtimes = [Runtime(prompt, settings), Runtime(replace(prompt, patient_relay=True), settings)]
    try:
        assert [r.relay._patience for r in runtimes] == [0, 0.7]
    finally:
        for runtime in runtimes:
            await runtime.stop()


async def test_a_runtime_stopped_before_it_started_leaves_nothing_open(effects: Effects) -> None:
    """A process told to stop before it started (a bad setting, a signal during start-up) closes
    what the constructor made: the producer's client and the engine, not the garbage collector's
    "Unclosed AIOKafkaProducer" (an error under ``-W error``)."""
    runtime = Runtime(
        _definition(effects.topic, effects.metadata, effects.table, []),
        ServiceSettings(service="runtime-test"),
    )
    await runtime.stop()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del runtime
        gc.collect()
    assert [str(w.message) for w in caught if "nclosed" in str(w.message)] == []


def test_patient_consumers_have_fetch_settings_of_their_own() -> None:
    settings = ServiceSettings(consumer_fetch_min_bytes=2, consumer_fetch_max_wait_ms=300)
    assert settings.fetch_options(patient=False) == (2, 300)
    assert settings.fetch_options(patient=True) == (1024 * 1024, 500)


def test_a_service_may_have_its_own_patient_fetch_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUJUKAN_CONSUMER_PATIENT_FETCH_MIN_BYTES", "1")
    monkeypatch.setenv("RUJUKAN_PATIENCE_PROBE_CONSUMER_PATIENT_FETCH_MAX_WAIT_MS", "900")
    settings = ServiceSettings(service="patience-probe")
    assert settings.fetch_options(patient=True) == (1, 900)
    assert ServiceSettings(service="another").fetch_options(patient=True) == (1, 500)
