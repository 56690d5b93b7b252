"""Pytest fixtures for tests against the real broker and database (a pytest plugin).

Where the servers come from, in order:
1. the environment names them (``RUJUKAN_TEST_KAFKA_BOOTSTRAP``, ``RUJUKAN_TEST_PG_URL``):
   ``make test`` starts them once with ``deploy/local`` and exports these;
2. a Docker engine answers: testcontainers starts Kafka and PostgreSQL;
3. otherwise the ``deploy/local`` scripts start them on test ports, once, under a file lock.

Every test that needs a database gets a fresh one (``fresh_database``), so tests run in parallel
without sharing state; tests that need topics make uniquely named ones.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

REPO = Path(__file__).resolve().parents[4]
TEST_KAFKA_PORT = int(os.environ.get("RUJUKAN_TEST_KAFKA_PORT", "19092"))
TEST_PG_PORT = int(os.environ.get("RUJUKAN_TEST_PG_PORT", "55439"))


@dataclass(frozen=True)
class Servers:
    kafka_bootstrap: str
    pg_url: str  # postgresql+asyncpg://user:pass@host:port (no database)

    @property
    def pg_dsn(self) -> str:
        return self.pg_url.replace("postgresql+asyncpg://", "postgresql://")


def _docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0


@contextmanager
def _local_servers() -> Iterator[Servers]:
    state = REPO / ".local" / "test"
    state.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "RUJUKAN_STATE_DIR": str(state),
        "KAFKA_PORT": str(TEST_KAFKA_PORT),
        "KAFKA_CONTROLLER_PORT": str(TEST_KAFKA_PORT + 1),
        "PG_PORT": str(TEST_PG_PORT),
    }
    with (state / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers: one starts, the others wait
        for script in ("postgres.sh", "kafka.sh"):
            subprocess.run(
                ["bash", str(REPO / "deploy/local" / script), "start"], env=env, check=True
            )
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


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    kafka = os.environ.get("RUJUKAN_TEST_KAFKA_BOOTSTRAP")
    pg = os.environ.get("RUJUKAN_TEST_PG_URL")
    if kafka and pg:
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
    conn = await asyncpg.connect(servers.pg_dsn + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def fresh_database(servers: Servers) -> AsyncIterator[str]:
    """A new, empty database for one test: its name."""
    name = await create_database(servers)
    yield name
    await drop_database(servers, name)


def unique_topic(base: str) -> str:
    return f"test-{uuid.uuid4().hex[:10]}.{base}"
