"""Intake in-process against the real broker and a fresh database, plus a Kafka tail reader."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from rujukan_intake.adapters.registry import read_registry_csv
from rujukan_intake.bootstrap import definition
from rujukan_intake.domain.identity import keyed_hash
from rujukan_intake.service_layer.state import IntakeState
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_intake.settings import IntakeSettings
from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.kafka import ensure_catalogue_topics
from rujukan_platform.runtime import Runtime, build_app, migrate
from rujukan_platform.testing import Servers

SECRET = "a-test-secret-at-least-32-bytes-long!!"
PII_KEY = "intake-test-pii-key-" + uuid.uuid4().hex
REGISTRY_CSV = Path(__file__).resolve().parents[1] / "seed" / "registry.csv"


@dataclass
class IntakeService:
    runtime: Runtime[IntakeState]
    settings: IntakeSettings
    http: httpx.AsyncClient
    app: FastAPI

    def token(
        self, role: str = "operator", *, regions: list[str] | None = None, subject: str = "op"
    ) -> dict[str, str]:
        principal = Principal(
            subject=subject,
            role=role,  # type: ignore[arg-type]
            regions=["33.04"] if regions is None else regions,
        )
        return {"Authorization": f"Bearer {issue_token(SECRET, principal)}"}

    def hash(self, value: str) -> str:
        return keyed_hash(self.settings.pii_key.get_secret_value(), value)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(text(sql), params)).all())

    async def count(self, table: str) -> int:
        return int((await self.rows(f"SELECT count(*) FROM {table}"))[0][0])

    async def relay_all(self) -> int:
        sent = 0
        while (n := await self.runtime.relay.relay_once()) > 0:
            sent += n
        return sent


@pytest.fixture(scope="session")
async def catalogue_topics(servers: Servers) -> None:
    await ensure_catalogue_topics(servers.kafka_bootstrap)


@asynccontextmanager
async def running_intake(
    servers: Servers, database: str, **overrides: Any
) -> AsyncIterator[IntakeService]:
    settings = IntakeSettings(
        kafka_bootstrap=servers.kafka_bootstrap,
        pg_url=servers.pg_url,
        database=database,
        environment="test",
        auth_secret=SECRET,  # type: ignore[arg-type]
        pii_key=PII_KEY,  # type: ignore[arg-type]
        run_consumers="none",
        run_relay=False,  # tests relay explicitly, so nothing reaches fixed topics by accident
        log_json=False,
        **overrides,
    )
    await asyncio.to_thread(migrate, definition, settings.dsn)
    runtime = Runtime(definition, settings)
    runtime.on_fatal = lambda exc: None  # never SIGTERM the test process
    async with IntakeUnitOfWork(runtime.sessions) as uow:
        rows = read_registry_csv(
            REGISTRY_CSV, lambda kk: keyed_hash(settings.pii_key.get_secret_value(), kk)
        )
        await uow.registry.load(rows)
        await uow.commit()
    app = build_app(runtime)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield IntakeService(runtime, settings, http, app)


@pytest.fixture
async def intake(
    servers: Servers, fresh_database: str, catalogue_topics: None
) -> AsyncIterator[IntakeService]:
    async with running_intake(servers, fresh_database) as service:
        yield service
