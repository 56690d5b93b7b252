"""Module-level routes on the one build_app: a command through the handler table, a read through
the request's unit of work, and what a route leaves uncommitted rolled back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, cast

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import Column, Table, Text, func, select

from rujukan_platform.db import new_metadata
from rujukan_platform.dependencies import Caller, HandleDep, SettingsDep, unit_of_work
from rujukan_platform.handlers import Handlers
from rujukan_platform.runtime import Runtime, build_app
from rujukan_platform.settings import ServiceSettings
from rujukan_platform.testing import (
    Servers,
    bearer,
    client_of,
    create_tables,
    own_service,
    status_changed,
)
from rujukan_platform.uow import UnitOfWork

pytestmark = pytest.mark.integration

metadata = new_metadata()
notes = Table("notes", metadata, Column("note", Text))


@dataclass(frozen=True)
class AddNote:
    note: str


async def add_note(command: AddNote, uow: UnitOfWork) -> int:
    await uow.session.execute(notes.insert().values(note=command.note))
    uow.publish("referrals.status", status_changed(command.note))
    return len(command.note)


class Count(BaseModel):
    notes: int
    outbox: int
    service: str


Uow = Annotated[UnitOfWork, Depends(unit_of_work)]
router = APIRouter(prefix="/v1")


@router.post("/notes")
async def post_note(_caller: Caller, handle: HandleDep, note: str) -> int:
    return cast(int, await handle(AddNote(note)))


@router.post("/forgotten")
async def write_without_commit(_caller: Caller, uow: Uow) -> None:
    await uow.session.execute(notes.insert().values(note="forgotten"))


@router.get("/count")
async def count(_caller: Caller, uow: Uow, settings: SettingsDep) -> Count:
    n = await uow.session.scalar(select(func.count()).select_from(notes))
    staged = await uow.session.scalar(select(func.count()).select_from(metadata.tables["outbox"]))
    return Count(notes=int(n or 0), outbox=int(staged or 0), service=settings.service)


@pytest.fixture
async def client(servers: Servers, fresh_database: str) -> AsyncIterator[httpx.AsyncClient]:
    dsn = f"{servers.pg_url}/{fresh_database}"
    await create_tables(dsn, metadata)
    settings = ServiceSettings(
        service="deps-test", environment="test", database_url=dsn, log_json=False
    )
    definition = own_service(
        "deps-test",
        metadata,
        router,
        settings_factory=lambda: settings,
        handlers=lambda _rt: Handlers[UnitOfWork]().on(AddNote, add_note),
    )
    runtime = Runtime(definition, settings)
    app = build_app(runtime)  # no lifespan: the API alone, no broker needed
    async with client_of(app, **bearer()) as c:
        yield c
    await runtime.engine.dispose()


async def test_a_command_commits_its_change_and_its_event_and_answers_the_handlers_result(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/v1/notes", params={"note": "hello"})
    assert r.status_code == 200 and r.json() == 5
    assert (await client.get("/v1/count")).json() == {
        "notes": 1,
        "outbox": 1,
        "service": "deps-test",
    }


async def test_what_a_route_does_not_commit_is_rolled_back(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/forgotten")).status_code == 200
    assert (await client.get("/v1/count")).json()["notes"] == 0


async def test_the_routes_answers_have_schemas(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    answer = paths["/v1/count"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/Count"}
