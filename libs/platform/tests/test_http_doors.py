"""Every service's door (``create_app``): readable 422 reasons, 413 before a body is read, and 503
with ``Retry-After`` while the database is away."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from rujukan_contracts.text import Line, Text
from rujukan_platform.problems import _loc_to_field
from rujukan_platform.settings import ServiceSettings
from rujukan_platform.testing import bearer, client_of, free_port, open_app

KiB = 1024


class Note(BaseModel):
    title: Line
    body: Text = ""


def app_with(database_url: str = "postgresql+asyncpg://u:p@127.0.0.1:1/x") -> Any:
    api = APIRouter(prefix="/v1")
    engine = create_async_engine(database_url)

    @api.post("/notes")
    async def post_note(note: Note) -> dict[str, str]:
        return {"title": note.title}

    @api.post("/bulk", max_body_size=64 * KiB)
    async def post_bulk(notes: list[Note]) -> dict[str, int]:
        return {"count": len(notes)}

    @api.get("/notes")
    async def list_notes() -> list[str]:
        return []

    @api.get("/db")
    async def read_db() -> dict[str, int]:
        async with engine.connect() as conn:
            return {"one": int((await conn.execute(text("SELECT 1"))).scalar_one())}

    return open_app(api, settings=ServiceSettings(max_body_bytes=8 * KiB, environment="test"))


def client(app: Any) -> httpx.AsyncClient:
    return client_of(app, **bearer())


async def test_a_control_character_is_named_readably() -> None:
    async with client(app_with()) as http:
        r = await http.post("/v1/notes", json={"title": "a\u0000b", "body": "ok\n"})
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"] == [
            {"field": "title", "reason": "mengandung karakter kontrol (U+0000)"}
        ]
        r = await http.post(
            "/v1/notes", json={"title": "a\u0000b", "body": "ok"}, headers={"Accept-Language": "en"}
        )
        assert r.json()["errors"] == [
            {"field": "title", "reason": "contains a control character (U+0000)"}
        ]
        r = await http.post("/v1/notes", json={"title": "ok", "body": "a\u0085"})
        assert "U+0085" in r.json()["errors"][0]["reason"]
        assert (await http.post("/v1/notes", json={"title": "t", "body": "a\n\tb"})).is_success


async def test_a_refused_key_with_a_lone_surrogate_still_gets_an_answer() -> None:
    assert _loc_to_field(("body", "x\ud800")) == "x\\ud800"
    async with client(app_with()) as http:
        r = await http.post(
            "/v1/notes",
            content=b'{"title": "a\\ud800"}',
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title"


class Chunks:
    def __init__(self, total: int, chunk: int = KiB) -> None:
        self.total, self.chunk, self.pulled = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.total // self.chunk):
            self.pulled += 1
            yield b" " * self.chunk


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_body_over_the_limit_gets_413_before_it_is_read(declared: bool) -> None:
    body = Chunks(1024 * KiB)
    headers = {"content-type": "application/json"}
    if declared:
        headers["content-length"] = str(body.total)
    async with client(app_with()) as http:
        r = await http.post("/v1/notes", content=body, headers=headers)  # type: ignore[arg-type]
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"].startswith("isi permintaan lebih dari 8192 byte")
    assert body.pulled == (0 if declared else 9)


async def test_a_body_over_the_limit_is_refused_in_the_callers_language() -> None:
    headers = {"content-type": "application/json", "accept-language": "en"}
    async with client(app_with()) as http:
        r = await http.post("/v1/notes", content=b" " * (9 * KiB), headers=headers)
    assert r.status_code == 413 and r.headers["content-language"] == "en"
    assert r.json()["detail"].startswith("the request body is larger than 8192 bytes")


async def test_a_route_may_take_more_than_the_default() -> None:
    body = b"[" + b" " * (32 * KiB) + b"]"
    async with client(app_with()) as http:
        r = await http.post("/v1/bulk", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 200 and r.json() == {"count": 0}
        r = await http.post("/v1/notes", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 413
        big = Chunks(128 * KiB)
        r = await http.post(
            "/v1/bulk",
            content=big,  # type: ignore[arg-type]
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"


@pytest.mark.integration
async def test_a_database_nobody_listens_on_is_a_503_with_retry_after() -> None:
    app = app_with(f"postgresql+asyncpg://rujukan:rujukan@127.0.0.1:{free_port()}/nowhere")
    async with client(app) as http:
        r = await http.get("/v1/db")
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == "5"
    assert r.json()["type"] == "https://rujukan.example/problems/unavailable"


async def test_a_405_lists_every_method_the_path_serves() -> None:
    async with client(app_with()) as http:
        r = await http.delete("/v1/notes")
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["allow"] == "GET, POST"
