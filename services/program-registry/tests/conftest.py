"""The program registry in-process against the real broker and a fresh database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.kafka import ensure_catalogue_topics
from rujukan_platform.runtime import Runtime, build_app, migrate
from rujukan_platform.testing import Servers
from rujukan_registry.bootstrap import definition
from rujukan_registry.domain.commands import SeedCatalogue
from rujukan_registry.settings import RegistrySettings

SECRET = "a-test-secret-at-least-32-bytes-long!!"


@dataclass
class RegistryService:
    runtime: Runtime
    settings: RegistrySettings
    http: httpx.AsyncClient

    def token(
        self,
        role: str = "admin",
        *,
        programs: list[str] | None = None,
        regions: list[str] | None = None,
        subject: str = "tester",
    ) -> dict[str, str]:
        principal = Principal(
            subject=subject,
            role=role,  # type: ignore[arg-type]
            programs=programs or [],
            regions=regions or [],
        )
        return {"Authorization": f"Bearer {issue_token(SECRET, principal)}"}

    async def seed(self) -> dict[str, str]:
        results: dict[str, str] = await self.runtime.handle(SeedCatalogue(self.settings.seed_dir))
        return results

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(text(sql), params)).all())

    async def count(self, table: str) -> int:
        return int((await self.rows(f"SELECT count(*) FROM {table}"))[0][0])


@pytest.fixture(scope="session")
async def catalogue_topics(servers: Servers) -> None:
    await ensure_catalogue_topics(servers.kafka_bootstrap)


@pytest.fixture
async def registry(
    servers: Servers, fresh_database: str, catalogue_topics: None
) -> AsyncIterator[RegistryService]:
    settings = RegistrySettings(
        kafka_bootstrap=servers.kafka_bootstrap,
        pg_url=servers.pg_url,
        database=fresh_database,
        environment="test",
        auth_secret=SECRET,  # type: ignore[arg-type]
        run_consumers="none",
        # Tests relay explicitly: the seed catalogue must never reach programs.catalog from here.
        run_relay=False,
        log_json=False,
    )
    await asyncio.to_thread(migrate, definition, settings.dsn)
    runtime = Runtime(definition, settings)
    runtime.on_fatal = lambda exc: None
    app = build_app(runtime)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield RegistryService(runtime, settings, http)
