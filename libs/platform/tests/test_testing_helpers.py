"""The fixtures every suite leans on (``rujukan_platform.testing``): if these are wrong, every
other test's verdict is too. Waiting, outages on demand, fresh databases, tokens, topics."""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin import NewTopic
from fastapi import APIRouter

from rujukan_platform import testing
from rujukan_platform.auth import principal_of_token
from rujukan_platform.kafka import create_topics, make_producer, security_options
from rujukan_platform.settings import ServiceSettings
from rujukan_platform.testing import (
    Servers,
    TcpProxy,
    bearer,
    create_database,
    drop_database,
    ephemeral_ports,
    eventually,
    free_port,
    open_to_everyone,
    tail,
    unique_topic,
)


async def test_eventually_gives_the_first_truthy_value_of_sync_and_async_probes() -> None:
    calls = []

    def probe() -> list[int]:
        calls.append(1)
        return calls if len(calls) >= 3 else []

    assert await eventually(probe) == [1, 1, 1]

    async def answer() -> str:
        return "ready"

    assert await eventually(answer) == "ready"


async def test_eventually_fails_with_the_last_value_it_saw() -> None:
    found: list[str] = []

    def probe() -> list[str]:
        found.append("nothing yet")
        return []

    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"^condition not met in 0\.2s; last value: \[\]$"):
        await eventually(probe, timeout=0.2)
    assert time.monotonic() - started >= 0.2 and len(found) > 1  # it kept asking


def test_a_free_port_can_be_listened_on_and_topics_never_collide() -> None:
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
    names = {unique_topic("intake.submitted") for _ in range(100)}
    assert len(names) == 100
    assert all(n.startswith("test-") and n.endswith(".intake.submitted") for n in names)


def test_a_free_port_is_one_no_outgoing_connection_can_hold_nor_handed_out_twice() -> None:
    """A port from the kernel's ephemeral range may be an outgoing connection's by the time
    the server binds it; free ports, and the span above them, are drawn outside it, and one
    process never gets the same port twice (a run's servers are started after all are drawn)."""
    ephemeral = ephemeral_ports()
    ports = [free_port() for _ in range(50)]
    spans = [range(p, p + 302) for p in (free_port(span=301) for _ in range(10))]
    drawn = ports + [port for span in spans for port in span]
    assert not [p for p in drawn if p in ephemeral], sorted(p for p in drawn if p in ephemeral)
    assert len(set(drawn)) == len(drawn)


def test_a_span_is_found_where_only_one_place_is_left_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ports handed out before fragment the room; a span that fits in one place only is still
    found (random draws alone missed it now and then: CI failed once on 100 ports and 10
    spans)."""
    ephemeral = ephemeral_ports()
    room = [*range(20000, ephemeral.start), *range(ephemeral.stop, 65536)]
    left = range(room[len(room) // 2], room[len(room) // 2] + 302)
    monkeypatch.setattr(testing, "_ISSUED", {p for p in room if p not in left})
    monkeypatch.setattr(testing, "port_is_free", lambda port: True)
    assert free_port(span=301) == left.start
    with pytest.raises(RuntimeError, match="none free"):
        free_port(span=301)


def test_a_bearer_header_is_signed_with_the_services_secret_unless_told() -> None:
    header = bearer("operator", regions=["33.04"])
    scheme, token = header["Authorization"].split(" ")
    assert scheme == "Bearer"
    secret = ServiceSettings().auth_secret.get_secret_value()
    principal = principal_of_token(secret, token)
    assert (principal.role, principal.regions, principal.subject) == (
        "operator",
        ["33.04"],
        "test-operator",
    )
    other = bearer("admin", "another-secret-of-at-least-32-bytes!")["Authorization"][7:]
    assert principal_of_token("another-secret-of-at-least-32-bytes!", other).role == "admin"


def test_a_test_apps_table_lets_every_role_call_each_of_its_routes() -> None:
    router = APIRouter()

    @router.get("/v1/a")
    async def a() -> None: ...

    @router.api_route("/v1/b/{x}", methods=["PUT", "DELETE"])
    async def b(x: str) -> None: ...

    table = open_to_everyone("svc", router)["svc"]
    assert set(table) == {("GET", "/v1/a"), ("PUT", "/v1/b/{x}"), ("DELETE", "/v1/b/{x}")}
    assert all(rule.roles == {"admin", "operator", "agency", "service"} for rule in table.values())


@pytest.mark.integration
async def test_a_tail_sees_only_what_is_written_after_it_opens(servers: Servers) -> None:
    topic = unique_topic("tailed")
    await create_topics(servers.kafka_bootstrap, [NewTopic(topic, 2, 1)])
    producer = make_producer(servers.kafka_bootstrap, client_id="test")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"before", key=b"a")
        async with tail(servers, topic) as records:
            for value, key in ((b"after-1", b"a"), (b"after-2", b"b"), (b"skip", b"c")):
                await producer.send_and_wait(topic, value, key=key)
            found = await records.find(lambda r: r.value != b"skip", count=2)
            assert sorted(r.value for r in found) == [b"after-1", b"after-2"]
            # fewer than asked for: what there is, once the time is up ("skip" may come in
            # this read or have come in the one before, as the broker's fetches fall)
            rest = await records.find(lambda r: True, count=5, timeout=0.5)
            assert [r.value for r in rest] in ([], [b"skip"])
    finally:
        await producer.stop()


def test_tests_borrow_the_admin_of_the_local_cluster_they_talk_to_and_no_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broker started by hand with deploy/local/kafka.sh: its admin's credentials are used
    when it is the broker the tests were given, never those of another cluster."""
    port = free_port()
    credentials = tmp_path / f"kafka-{port}" / "credentials"
    credentials.mkdir(parents=True)
    (credentials / "admin.env").write_text(
        "RUJUKAN_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT\n"
        "RUJUKAN_KAFKA_SASL_MECHANISM=SCRAM-SHA-512\n"
        "RUJUKAN_KAFKA_SASL_USERNAME=admin\n"
        "RUJUKAN_KAFKA_SASL_PASSWORD=from-the-state-dir\n"
    )
    for name in ("SECURITY_PROTOCOL", "SASL_MECHANISM", "SASL_USERNAME", "SASL_PASSWORD"):
        monkeypatch.setenv(f"RUJUKAN_KAFKA_{name}", "as-before")  # restored after the test
    env = {**os.environ, "RUJUKAN_STATE_DIR": str(tmp_path), "KAFKA_PORT": str(port)}
    try:
        testing._use_admin_of(env, "127.0.0.1:9")  # another cluster: nothing borrowed
        assert os.environ["RUJUKAN_KAFKA_SASL_USERNAME"] == "as-before"
        testing._use_admin_of(env, f"127.0.0.1:{port}")
        assert os.environ["RUJUKAN_KAFKA_SASL_USERNAME"] == "admin"
        assert security_options()["sasl_plain_password"] == "from-the-state-dir"
    finally:
        monkeypatch.undo()
        security_options.cache_clear()


@pytest.mark.integration
async def test_a_proxy_down_is_an_outage_and_up_is_a_recovery(servers: Servers) -> None:
    host, port = servers.pg_dsn.rsplit("@", 1)[1].split(":")
    proxy = TcpProxy(host, int(port))
    user = servers.pg_dsn.rsplit("@", 1)[0]
    try:
        with pytest.raises(OSError):  # not up yet: nothing listens
            await asyncpg.connect(f"{user}@{proxy.address}/postgres", timeout=5)
        await proxy.up()
        conn = await asyncpg.connect(f"{user}@{proxy.address}/postgres", timeout=5)
        assert await conn.fetchval("SELECT 1") == 1
        await proxy.down()  # the open connection is cut, new ones are refused
        with pytest.raises((asyncpg.ConnectionDoesNotExistError, OSError)):
            await conn.fetchval("SELECT 1")
        with pytest.raises(OSError):
            await asyncpg.connect(f"{user}@{proxy.address}/postgres", timeout=5)
        await proxy.up()
        again = await asyncpg.connect(f"{user}@{proxy.address}/postgres", timeout=5)
        assert await again.fetchval("SELECT 2") == 2
        await again.close()
        conn.terminate()
    finally:
        await proxy.down()


@pytest.mark.integration
async def test_a_proxy_to_a_server_that_is_away_refuses_at_once() -> None:
    proxy = TcpProxy("127.0.0.1", free_port())
    await proxy.up()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, not left hanging
        writer.close()
    finally:
        await proxy.down()


@pytest.mark.integration
async def test_a_fresh_database_is_empty_and_goes_even_while_someone_is_connected(
    servers: Servers,
) -> None:
    name = await create_database(servers, prefix="helper")
    assert name.startswith("helper_")
    conn = await asyncpg.connect(f"{servers.pg_dsn}/{name}")
    tables = await conn.fetchval(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
    )
    assert tables == 0
    await drop_database(servers, name)  # a test that left a connection open
    admin = await asyncpg.connect(f"{servers.pg_dsn}/postgres")
    try:
        assert (
            await admin.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", name) == 0
        )
    finally:
        await admin.close()
    assert conn.is_closed() or await _is_gone(conn)


async def _is_gone(conn: asyncpg.Connection) -> bool:
    try:
        await conn.fetchval("SELECT 1")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        return True
    return False


@pytest.mark.skipif(
    testing._docker_available(), reason="with Docker the fixtures use testcontainers"
)
def test_the_last_test_run_stops_the_test_servers_a_test_run_started(tmp_path: Path) -> None:
    """A bare ``pytest`` (no servers named, no Docker) starts PostgreSQL and Kafka on the test
    ports; the last run to end stops them, unless ``RUJUKAN_TEST_KEEP_SERVERS=1``, another run
    still holds its file in ``runs/``, or they no longer run under the pids a test run started
    them with (``make test`` restarted them, or someone by hand). Its own ports and state
    directory: nothing else's servers are touched."""
    kafka_port = free_port(span=1)
    while not testing.port_is_free(kafka_port + 1):  # the broker's controller
        kafka_port = free_port(span=1)
    pg_port = free_port()
    (tmp_path / "test_probe.py").write_text(
        "import socket\n"
        "def test_probe(servers):\n"
        "    for port in servers.kafka_bootstrap.rsplit(':')[-1], servers.pg_url.rsplit(':')[-1]:\n"
        "        socket.create_connection(('127.0.0.1', int(port)), 5).close()\n"
    )
    state = testing.REPO / ".local" / f"test-servers-{uuid.uuid4().hex[:8]}"  # postgres reads it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUJUKAN_", "KAFKA_", "PG_"))}
    env |= {
        "RUJUKAN_TEST_STATE_DIR": str(state),
        "RUJUKAN_TEST_KAFKA_PORT": str(kafka_port),
        "RUJUKAN_TEST_PG_PORT": str(pg_port),
    }
    started_by_tests = state / "started-by-tests"

    def run_pytest(*options: str, **extra: str) -> None:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "rujukan_platform.testing"]
        done = subprocess.run(
            [*command, *options, "-p", "no:cacheprovider", str(tmp_path / "test_probe.py")],
            cwd=tmp_path, env=env | extra, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    def listening() -> list[bool]:
        """Whether Kafka and PostgreSQL answer on their ports."""
        answers = []
        for port in kafka_port, pg_port:
            with socket.socket() as s:
                answers.append(s.connect_ex(("127.0.0.1", port)) == 0)
        return answers

    try:
        run_pytest(RUJUKAN_TEST_KEEP_SERVERS="1")
        assert listening() == [True, True]  # kept for the next run
        pids = started_by_tests.read_text()
        assert sorted(line.split()[0] for line in pids.splitlines()) == ["kafka.sh", "postgres.sh"]

        with (state / "runs" / "pytest-another").open("w") as another:
            fcntl.flock(another, fcntl.LOCK_EX)  # a run still going
            run_pytest()
            assert listening() == [True, True]
        started_by_tests.write_text("postgres.sh 1\nkafka.sh 1\n")  # since restarted by others
        run_pytest()
        assert listening() == [True, True]

        started_by_tests.write_text(pids)
        run_pytest("-n", "2")  # the last run out, its workers included: stops them
        assert listening() == [False, False]
        assert not started_by_tests.exists()
        assert list((state / "runs").iterdir()) == []  # the killed run's file is gone too
    finally:  # whatever failed above, nothing is left running
        server_env = env | {"RUJUKAN_STATE_DIR": str(state),
                            "KAFKA_PORT": str(kafka_port), "PG_PORT": str(pg_port),
                            "KAFKA_CONTROLLER_PORT": str(kafka_port + 1)}  # fmt: skip
        for script in ("kafka.sh", "postgres.sh"):
            subprocess.run(["bash", str(testing.REPO / "deploy/local" / script), "stop"],
                           env=server_env, capture_output=True)  # fmt: skip
        shutil.rmtree(state, ignore_errors=True)
