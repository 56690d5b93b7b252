"""The fixtures every suite leans on (``rujukan_platform.testing``): if these are wrong, every
other test's verdict is too. Waiting, outages on demand, fresh databases, tokens, topics."""

from __future__ import annotations

import asyncio
import socket
import time

import asyncpg
import pytest
from fastapi import APIRouter

from rujukan_platform.auth import principal_of_token
from rujukan_platform.settings import ServiceSettings
from rujukan_platform.testing import (
    Servers,
    TcpProxy,
    bearer,
    create_database,
    drop_database,
    eventually,
    free_port,
    open_to_everyone,
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
