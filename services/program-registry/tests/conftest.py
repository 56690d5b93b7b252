"""The program registry in-process against the real broker and a fresh database."""

from __future__ import annotations

import asyncio
import uuid
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


def new_code() -> str:
    """A program code no other test uses."""
    return "T-" + uuid.uuid4().hex[:8].upper()


def program(code: str, *, cel: str = "'housing' in needs", name: str = "needs_housing") -> dict:
    """A program document the registry accepts: one version whose one criterion is ``cel``."""
    return {
        "code": code,
        "name": {"id": "Program uji", "en": "Test program"},
        "description": {"id": "Program untuk pengujian", "en": "A program for tests"},
        "owner_agency": "Dinas Sosial Kabupaten Banjarnegara",
        "level": "district",
        "service_area": ["33.04"],
        "sla_days": {"receive": 1, "decide": 2, "serve": 3},
        "contact": {"office": "Dinsos Banjarnegara"},
        "needs_served": ["housing"],
        "sources": [{"title": "tests", "url_or_reference": "program-registry tests"}],
        "versions": [
            {
                "version": 1,
                "effective_from": "2020-01-01",
                "rule": {"kind": "criterion", "name": name, "label": "Needs housing", "cel": cel},
            }
        ],
    }


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
