"""Pytest fixtures for tests against the real broker and database (a pytest plugin).

Where the servers come from, in order:
1. the environment names them (``RUJUKAN_TEST_KAFKA_BOOTSTRAP``, ``RUJUKAN_TEST_PG_URL``):
   ``make test`` starts them once with ``deploy/local`` and exports these;
2. a Docker engine answers: testcontainers starts Kafka and PostgreSQL;
3. otherwise the ``deploy/local`` scripts start them on test ports, once, under a file lock;
   the last ``pytest`` run using them stops them when it ends (``RUJUKAN_TEST_KEEP_SERVERS=1``
   keeps them for the next run; servers started by hand are never stopped).

Every test that needs a database gets a fresh one (``fresh_database``), so tests run in parallel
without sharing state; tests that need topics make uniquely named ones.
"""

from __future__ import annotations

import asyncio
import bisect
import fcntl
import glob
import itertools
import os
import random
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from fastapi import APIRouter, FastAPI
from sqlalchemy import MetaData
from starlette.types import ASGIApp

from rujukan_contracts.events import ReferralStatus, ReferralStatusChangedV1
from rujukan_platform.access import EVERYONE, Rule, Sees, allow
from rujukan_platform.auth import Principal, Role, issue_token
from rujukan_platform.consumer import ConsumerRunner, ConsumerSpec
from rujukan_platform.db import make_engine
from rujukan_platform.http import create_app
from rujukan_platform.kafka import make_consumer, security_options, topic_partitions
from rujukan_platform.problems import PROBLEM_JSON
from rujukan_platform.runtime import Runtime, ServiceDefinition
from rujukan_platform.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[4]
TEST_KAFKA_PORT = int(os.environ.get("RUJUKAN_TEST_KAFKA_PORT", "19092"))
TEST_PG_PORT = int(os.environ.get("RUJUKAN_TEST_PG_PORT", "15439"))


@dataclass(frozen=True)
class Servers:
    kafka_bootstrap: str
    pg_url: str  # postgresql+asyncpg://user:pass@host:port (no database)

    @property
    def pg_dsn(self) -> str:
        return self.pg_url.replace("postgresql+asyncpg://", "postgresql://")


def _docker_available() -> bool:
    """Whether a Docker engine answers, decided once a run: the controller's answer reaches
    its xdist workers (``RUJUKAN_TEST_DOCKER``), so they all take their servers from one place."""
    decided = os.environ.get("RUJUKAN_TEST_DOCKER")
    if decided is None:
        try:
            answers = shutil.which("docker") is not None and (
                subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
            )
        except subprocess.TimeoutExpired:
            answers = False
        decided = os.environ["RUJUKAN_TEST_DOCKER"] = "1" if answers else "0"
    return decided == "1"


def _use_admin_of(env: dict[str, str], bootstrap: str) -> None:
    """Every client of this process, and of the services it starts, authenticates as the admin
    of the deploy/local/kafka.sh cluster that ``env`` names (``kafka.sh env``: KAFKA_AUTH=scram
    credentials), as `make test` exports them; nothing changes if that is another cluster."""
    done = subprocess.run(
        ["bash", str(REPO / "deploy/local/kafka.sh"), "env"],
        env=env,
        capture_output=True,
        text=True,
    )
    found = dict(line.partition("=")[::2] for line in done.stdout.split())
    if done.returncode != 0 or found.get("RUJUKAN_KAFKA_BOOTSTRAP") != bootstrap:
        return
    for key, value in found.items():
        if key.startswith("RUJUKAN_KAFKA_S"):  # _SECURITY_PROTOCOL, _SASL_*
            os.environ[key] = value
    security_options.cache_clear()


#: where the test servers of ``_local_servers`` keep their state, and the runs using them
TEST_STATE = Path(os.environ.get("RUJUKAN_TEST_STATE_DIR") or REPO / ".local" / "test")
#: a test run (``pytest``, its xdist workers included) that started a test server lists it here
#: so that the last run to finish stops it; servers started by hand are left running
STARTED_BY_TESTS = TEST_STATE / "started-by-tests"
#: one file a ``pytest`` run using the test servers, named by its controller's pid
RUNS = TEST_STATE / "runs"
SERVER_SCRIPTS = ("postgres.sh", "kafka.sh")


def _test_server_env() -> dict[str, str]:
    return {
        **os.environ,
        "RUJUKAN_STATE_DIR": str(TEST_STATE),
        "KAFKA_PORT": str(TEST_KAFKA_PORT),
        "KAFKA_CONTROLLER_PORT": str(TEST_KAFKA_PORT + 1),
        "PG_PORT": str(TEST_PG_PORT),
    }


def _server(
    script: str, command: str, env: dict[str, str], **kw: Any
) -> subprocess.CompletedProcess[str]:
    """``deploy/local/<script> <command>`` for the test servers (``env``)."""
    return subprocess.run(
        ["bash", str(REPO / "deploy/local" / script), command], env=env, text=True, **kw
    )


def _server_pid(script: str, env: dict[str, str]) -> str | None:
    """The pid of the test server ``script`` runs, None if it is not running."""
    status = _server(script, "status", env, capture_output=True)
    found = re.search(r"\(pid (\d+)", status.stdout)
    return found[1] if status.returncode == 0 and found else None


@contextmanager
def _local_servers() -> Iterator[Servers]:
    TEST_STATE.mkdir(parents=True, exist_ok=True)
    env = _test_server_env()
    with (TEST_STATE / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers: one starts, the others wait
        for script in SERVER_SCRIPTS:
            running = _server_pid(script, env)
            _server(script, "start", env, check=True)
            if running is None and (pid := _server_pid(script, env)):
                with STARTED_BY_TESTS.open("a") as started:
                    started.write(f"{script} {pid}\n")  # a test run's: the last run stops it
    _use_admin_of(env, f"127.0.0.1:{TEST_KAFKA_PORT}")
    yield Servers(
        f"127.0.0.1:{TEST_KAFKA_PORT}",
        f"postgresql+asyncpg://rujukan:rujukan@127.0.0.1:{TEST_PG_PORT}",
    )


@contextmanager
def _containers() -> Iterator[Servers]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with (
        KafkaContainer().with_kraft() as kafka,
        PostgresContainer(
            "postgres:15", username="rujukan", password="rujukan", dbname="rujukan"
        ) as pg,
    ):
        host, port = pg.get_container_host_ip(), pg.get_exposed_port(5432)
        yield Servers(
            kafka.get_bootstrap_server(), f"postgresql+asyncpg://rujukan:rujukan@{host}:{port}"
        )


def _using_test_servers() -> bool:
    """Whether this run gets its servers from ``_local_servers`` (nothing named, no Docker)."""
    named = os.environ.get("RUJUKAN_TEST_KAFKA_BOOTSTRAP") and os.environ.get("RUJUKAN_TEST_PG_URL")
    return not named and not _docker_available()


#: this run's file in ``RUNS``, locked for as long as the run lasts (its controller's)
_this_run: IO[str] | None = None


def pytest_configure(config: pytest.Config) -> None:
    """A run (its controller, before any xdist worker starts) says it uses the test servers:
    a file in ``RUNS`` it holds a lock on until it ends (the kernel lets go if it is killed)."""
    global _this_run
    if hasattr(config, "workerinput") or not _using_test_servers():
        return
    RUNS.mkdir(parents=True, exist_ok=True)
    _this_run = (RUNS / f"pytest-{os.getpid()}").open("w")
    fcntl.flock(_this_run, fcntl.LOCK_EX)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The last run using the test servers stops those a test run started, if they still run
    under the pid it started them with (``make test`` starts its own, and says so), after every
    xdist worker ended; ``RUJUKAN_TEST_KEEP_SERVERS=1`` keeps them for the next run."""
    global _this_run
    if _this_run is None:
        return
    with (TEST_STATE / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        Path(_this_run.name).unlink()
        _this_run.close()
        _this_run = None
        if any(map(_in_use, RUNS.iterdir())):
            return  # another run still uses them
        if os.environ.get("RUJUKAN_TEST_KEEP_SERVERS") == "1" or not STARTED_BY_TESTS.exists():
            return
        env = _test_server_env()
        lines = [line.split() for line in STARTED_BY_TESTS.read_text().splitlines()]
        started = {line[0]: line[1] for line in lines if len(line) == 2}  # script -> its pid
        for script in reversed(SERVER_SCRIPTS):
            if script in started and _server_pid(script, env) == started[script]:
                _server(script, "stop", env, capture_output=True)
        STARTED_BY_TESTS.unlink()


def _in_use(run: Path) -> bool:
    """Whether the run that made ``run`` still holds it; the file of one that ended without
    saying so (killed) is removed."""
    with run.open("a") as held:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        run.unlink()
        return False


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    kafka = os.environ.get("RUJUKAN_TEST_KAFKA_BOOTSTRAP")
    pg = os.environ.get("RUJUKAN_TEST_PG_URL")
    if kafka and pg:
        if "RUJUKAN_KAFKA_SECURITY_PROTOCOL" not in os.environ:
            # a broker started by hand with deploy/local/kafka.sh (RUJUKAN_STATE_DIR, KAFKA_PORT)
            _use_admin_of(dict(os.environ), kafka)
        yield Servers(kafka, pg.rstrip("/"))
    elif _docker_available():
        with _containers() as found:
            yield found
    else:
        with _local_servers() as found:
            yield found


async def create_database(servers: Servers, prefix: str = "t") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(servers.pg_dsn + "/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_database(servers: Servers, name: str) -> None:
    """Drop a test's database even while something is still connected to it: this role's own
    sessions are ended; another role's (an autovacuum worker, which FORCE may not end for a
    non-superuser) is waited out."""
    conn = await asyncpg.connect(servers.pg_dsn + "/postgres")
    try:
        for attempt in range(40):
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()",
                name,
            )
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                return
            except asyncpg.ObjectInUseError:
                if attempt == 39:
                    raise
                await asyncio.sleep(0.25)
    finally:
        await conn.close()


@pytest.fixture
async def fresh_database(servers: Servers) -> AsyncIterator[str]:
    """A new, empty database for one test: its name."""
    name = await create_database(servers)
    yield name
    await drop_database(servers, name)


async def create_tables(dsn: str, metadata: MetaData) -> None:
    """Create ``metadata``'s tables in the database ``dsn`` names (a test's fresh database)."""
    engine = make_engine(dsn, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()


def unique_topic(base: str) -> str:
    return f"test-{uuid.uuid4().hex[:10]}.{base}"


_PORT_PICKS = random.SystemRandom()  # not ``random``: parallel workers must not draw alike
#: ports this process has handed out (and the spans above them): not handed out again
_ISSUED: set[int] = set()


def ephemeral_ports() -> range:
    """The ports the kernel gives outgoing connections (Linux's default where unreadable)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def free_port(*, span: int = 0) -> int:
    """A TCP port nothing listens on right now (for a local server a test starts), with the
    ``span`` ports above it outside the ephemeral range too (a broker's at +100, +200, ...).

    Drawn outside the kernel's ephemeral range, not with ``bind(0)``: a port from that range
    can be taken by any outgoing connection (a Kafka or PostgreSQL client) before the server
    binds it, and a long-lived one keeps the server from starting for good (in CI, the chaos
    run's intake API never became ready in 600 s with every process running). Below the range
    from 20000 (the test servers' fixed ports are under it), else above it; where neither has
    room, the kernel's pick. A port handed out once is not handed out again by this process."""
    ephemeral = ephemeral_ports()
    room = [
        r
        for r in (range(20000, ephemeral.start - span), range(ephemeral.stop, 65536 - span))
        if len(r) > 1000
    ]
    if not room:  # no room outside the range on this host: the kernel's pick
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])
    issued = sorted(_ISSUED)

    def clear(port: int) -> bool:  # no port of its span handed out before
        i = bisect.bisect_left(issued, port)
        return i == len(issued) or issued[i] > port + span

    # a few random draws first (quick while the room is mostly clear), then every start that is
    # clear in random order: random draws alone failed now and then once spans had filled it
    def every_start() -> Iterator[int]:
        starts = [port for r in room for port in r]
        _PORT_PICKS.shuffle(starts)
        yield from starts

    drawn = (_PORT_PICKS.choice(_PORT_PICKS.choice(room)) for _ in range(100))
    bound = 0  # clear starts something else had bound
    for port in itertools.chain(drawn, every_start()):
        if not clear(port):
            continue
        if port_is_free(port):
            _ISSUED.update(range(port, port + span + 1))
            return port
        bound += 1
        if bound == 1000:
            break
    raise RuntimeError(f"no free port outside {ephemeral}: {bound:,} clear ones bound, none free")


def port_is_free(port: int) -> bool:
    """Nothing is bound to ``port`` on the loopback interface right now."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def eventually(probe: Callable[[], Any], *, timeout: float = 15.0) -> Any:  # noqa: ASYNC109
    """Poll until ``probe`` returns something truthy (async probes awaited); its value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met in {timeout}s; last value: {last!r}")


class TopicTail:
    """Reads a topic from the end offsets seen when it was opened (no consumer group)."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self._consumer = consumer

    async def find(
        self,
        want: Callable[[ConsumerRecord[bytes, bytes]], bool],
        *,
        count: int = 1,
        timeout: float = 15.0,  # noqa: ASYNC109 - a polling deadline, not a cancel scope
    ) -> list[ConsumerRecord[bytes, bytes]]:
        found: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            for records in (await self._consumer.getmany(timeout_ms=200)).values():
                found.extend(r for r in records if want(r))
        return found


@asynccontextmanager
async def tail(servers: Servers, topic: str) -> AsyncIterator[TopicTail]:
    """Records of ``topic`` produced from now on, whatever other tests wrote before."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers.kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **security_options(),
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + 15  # a freshly created topic takes a moment to appear
        while True:
            numbers = (await topic_partitions(servers.kafka_bootstrap, [topic])).get(topic, [])
            if numbers or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        partitions = [TopicPartition(topic, p) for p in sorted(numbers)]
        assert partitions, f"topic {topic} does not exist"
        consumer.assign(partitions)
        for tp, offset in (await consumer.end_offsets(partitions)).items():
            consumer.seek(tp, offset)
        yield TopicTail(consumer)
    finally:
        await consumer.stop()


@pytest.fixture
def topic_tail(servers: Servers) -> Callable[[str], Any]:
    return lambda topic: tail(servers, topic)


class RunningConsumer:
    """One of the service's consumers, run by the real ``ConsumerRunner`` on a unique topic."""

    def __init__(self, runtime: Runtime[Any], spec: ConsumerSpec) -> None:
        self.runtime = runtime
        self.spec = spec
        self.stop_event = asyncio.Event()
        self.consumer = make_consumer(
            runtime.settings.kafka_bootstrap,
            group_id=spec.group,
            client_id=f"test-{spec.name}",
        )
        self.runner = ConsumerRunner(
            spec,
            consumer=self.consumer,
            producer=runtime.producer,
            unit_of_work=runtime.unit_of_work,
        )
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        self.task = asyncio.create_task(self.runner.run(self.stop_event))

    async def drain(self, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        """Wait until the group's committed offsets reach the end of every partition."""
        tps = [TopicPartition(t, p) for t in self.spec.topics for p in await self._partitions(t)]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.task is not None and self.task.done():
                self.task.result()  # surfaces the consumer's failure
                raise AssertionError("the consumer stopped")
            ends = await self.consumer.end_offsets(tps)
            committed = [await self.consumer.committed(tp) or 0 for tp in tps]
            if all(c >= ends[tp] for c, tp in zip(committed, tps, strict=True)):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"consumer {self.spec.name} did not catch up in {timeout}s")

    async def _partitions(self, topic: str) -> set[int]:
        parts = self.consumer.partitions_for_topic(topic)
        while not parts:
            await asyncio.sleep(0.05)
            parts = self.consumer.partitions_for_topic(topic)
        return set(parts)

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            try:
                await asyncio.wait_for(self.task, timeout=15)
            finally:
                await self.consumer.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    #: the listen backlog: a burst of new connections (a dispatcher's sends) past the default 5
    #: was reset by the kernel, and the sender saw read errors no real server would give it
    request_queue_size = 256


class ThreadedHttp:
    """A real HTTP server on loopback, in a thread of its own, answering with ``handler``
    (a ``BaseHTTPRequestHandler`` class): an identity provider, an agency's webhook."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int | None = None) -> None:
        self.handler = handler
        self.port = port or free_port()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        self._server = _Server(("127.0.0.1", self.port), self.handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class TcpProxy:
    """A TCP proxy on loopback that a test can take down and bring back: an outage of the
    database or the broker without stopping the server everyone else's tests share.

    ``down()`` closes every proxied connection and refuses new ones; ``up()`` accepts again.
    (A Kafka client only bootstraps through it: brokers then advertise their own address.)"""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def up(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))


def open_to_everyone(service: str, *routers: Any) -> dict[str, dict[tuple[str, str], Rule]]:
    """An access table for a test app's own routes: every role may call each (the platform's
    table, ``access.POLICY``, has lines only for the services' real routes)."""
    return {
        service: {
            (method, route.path): allow(*EVERYONE, sees=Sees.CATALOGUE)
            for router in routers
            for route in router.routes
            for method in getattr(route, "methods", None) or ()
        }
    }


def open_app(
    *routers: APIRouter, settings: ServiceSettings | None = None, title: str = "t", **options: Any
) -> FastAPI:
    """A service's app (``http.create_app``, settings of the ``test`` environment unless
    ``settings`` is given) serving a test's own ``routers``, each route open to every role."""
    settings = settings or ServiceSettings(environment="test")
    return create_app(
        settings=settings,
        title=title,
        description="t",
        routers=list(routers),
        policy=open_to_everyone(settings.service, *routers),
        **options,
    )


def own_service(
    name: str, metadata: MetaData, *routers: APIRouter, **options: Any
) -> ServiceDefinition[None]:
    """A test's own service (``ServiceDefinition``): its tables, its routers open to every
    role, no migrations; ``options`` set the rest (handlers, consumers, settings_factory…)."""
    options.setdefault("settings_factory", ServiceSettings)
    return ServiceDefinition(
        name=name,
        title="t",
        description="t",
        metadata=metadata,
        migrations=Path("."),
        routers=list(routers),
        policy=open_to_everyone(name, *routers),
        **options,
    )


def client_of(app: ASGIApp, *, root_path: str = "", **headers: str) -> httpx.AsyncClient:
    """An HTTP client that calls ``app`` in this process (as if behind ``root_path``)."""
    transport = httpx.ASGITransport(app=app, root_path=root_path)
    return httpx.AsyncClient(transport=transport, base_url="http://service", headers=headers)


def bearer(role: Role = "admin", secret: str | None = None, **scope: list[str]) -> dict[str, str]:
    """An ``Authorization`` header for a principal of ``role`` signed with ``secret`` (default:
    the secret the environment gives services)."""
    secret = secret or ServiceSettings().auth_secret.get_secret_value()
    principal = Principal(subject=f"test-{role}", role=role, **scope)
    return {"Authorization": f"Bearer {issue_token(secret, principal)}"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """A problem+json answer with ``status`` in its code and its body; the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def pg_dump(dsn: str) -> bytes:
    """``pg_dump`` of a whole database (schema and data), as an operator would take a backup;
    ``dsn`` as the services take it (``postgresql+asyncpg://…/<database>``)."""
    found = shutil.which("pg_dump") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), reverse=True)), None
    )
    assert found, "pg_dump is needed (PostgreSQL's client programs)"
    url = dsn.replace("postgresql+asyncpg://", "postgresql://")
    done = subprocess.run([found, f"--dbname={url}"], capture_output=True, check=True, timeout=120)
    return done.stdout


def status_changed(
    note: str = "",
    *,
    referral_id: uuid.UUID | None = None,
    intake_id: uuid.UUID | None = None,
    to: ReferralStatus = ReferralStatus.created,
) -> ReferralStatusChangedV1:
    """A referral status event for tests of the plumbing (what it says matters less than that
    it is a real event of the contracts): ``note`` tells events apart; ``intake_id`` is its
    key."""
    return ReferralStatusChangedV1(
        referral_id=referral_id or uuid.uuid4(),
        intake_id=intake_id or uuid.uuid4(),
        household_id=uuid.uuid4(),
        program_code="PKH",
        village_code="33.04.01.2001",
        from_status=None,
        to_status=to,
        note=note,
        changed_at=datetime.now(UTC),
    )
