"""What a client sees when something goes wrong (``install_problem_handlers``): RFC 9457 bodies,
503 with ``Retry-After`` for weather only, 500 that says nothing of the failure, and refused
fields named without their values."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError
from fastapi import FastAPI, Query
from pydantic import BaseModel, field_validator
from sqlalchemy.exc import IntegrityError, OperationalError

from rujukan_platform.language import Localised
from rujukan_platform.problems import (
    PROBLEM_JSON,
    RETRY_AFTER_SECONDS,
    Problem,
    field_error,
    install_problem_handlers,
    invalid_rule,
    service_unavailable,
)

NIK = "3304011203840001"
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9,id;q=0.5"}


class Member(BaseModel):
    nik: str

    @field_validator("nik")
    @classmethod
    def _sixteen_digits(cls, value: str) -> str:
        if not value.startswith("33"):
            raise ValueError(f"{value} is not from Central Java")  # echoes the value
        return value


def app() -> FastAPI:
    api = FastAPI()
    install_problem_handlers(api)

    @api.get("/boom")
    async def boom() -> None:
        raise RuntimeError(f"a bug that mentions {NIK}")

    @api.get("/duplicate")
    async def duplicate() -> None:
        raise IntegrityError("INSERT", {"nik": NIK}, Exception(f"duplicate key {NIK}"))

    @api.get("/database-away")
    async def database_away() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError())

    @api.get("/broker-away")
    async def broker_away() -> None:
        raise KafkaConnectionError()

    @api.get("/network-away")
    async def network_away() -> None:
        raise ConnectionRefusedError("connect failed")

    @api.get("/refused-field")
    async def refused_field() -> None:
        raise field_error("village_code", "unknown village")

    @api.get("/refused-rule")
    async def refused_rule() -> None:
        raise invalid_rule("rule", "decile", "unknown name 'decil'")

    @api.get("/conflict")
    async def conflict() -> None:
        raise Problem(409, "Conflict", "already there", headers={"X-Trace": "t"}, version=3)

    @api.get("/bilingual")
    async def bilingual() -> None:
        raise Problem(
            409,
            Localised("Sudah ada", "Already there"),
            Localised("program PKH sudah ada", "program PKH already exists"),
            errors=[{"field": "code", "reason": Localised("sudah dipakai", "already taken")}],
        )

    @api.get("/referrals")
    async def referrals(status: Literal["open", "closed"] = Query()) -> list[str]:
        return [status]

    @api.post("/members")
    async def members(member: Member) -> str:
        return member.nik

    return api


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def test_a_bug_is_a_500_that_shows_nothing_of_it(http: httpx.AsyncClient) -> None:
    for path in ("/boom", "/duplicate"):  # a constraint violation is a bug too, not weather
        r = await http.get(path)
        assert r.status_code == 500, path
        assert r.headers["content-type"] == PROBLEM_JSON
        assert r.json() == {
            "type": "about:blank",
            "title": "Kesalahan internal",
            "status": 500,
            "instance": path,
        }
        assert NIK not in r.text and "retry-after" not in r.headers
        r = await http.get(path, headers=ENGLISH)
        assert r.json()["title"] == "Internal error" and r.headers["content-language"] == "en"


@pytest.mark.parametrize("path", ["/database-away", "/broker-away", "/network-away"])
async def test_a_server_away_is_a_503_to_retry_not_a_500(
    http: httpx.AsyncClient, path: str
) -> None:
    r = await http.get(path)
    assert r.status_code == 503
    assert r.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    body = r.json()
    assert body["type"] == "https://rujukan.example/problems/unavailable"
    assert body["detail"] == (
        "basis data atau broker tidak menjawab; tidak ada yang diubah, coba lagi nanti"
    )
    assert r.headers["content-language"] == "id"
    r = await http.get(path, headers=ENGLISH)
    assert r.json()["detail"] == (
        "a database or the broker is not answering; nothing was changed, retry later"
    )


async def test_refused_fields_and_rules_name_what_was_refused(http: httpx.AsyncClient) -> None:
    r = await http.get("/refused-field")
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "village_code", "reason": "unknown village"}]
    assert r.json()["type"] == "https://rujukan.example/problems/validation"
    r = await http.get("/refused-rule")
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "rule", "criterion": "decile", "reason": "unknown name 'decil'"}
    ]
    assert r.json()["detail"] == "rule: kriteria 'decile': unknown name 'decil'"
    r = await http.get("/refused-rule", headers=ENGLISH)
    assert r.json()["detail"] == "rule: criterion 'decile': unknown name 'decil'"


async def test_a_problem_keeps_its_headers_and_extra_members(http: httpx.AsyncClient) -> None:
    r = await http.get("/conflict")
    assert r.status_code == 409 and r.headers["x-trace"] == "t"
    assert r.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "already there",
        "instance": "/conflict",
        "version": 3,
    }


async def test_a_refused_value_never_comes_back_in_the_answer(http: httpx.AsyncClient) -> None:
    r = await http.post("/members", json={"nik": "1204011203840001"})
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error == {
        "field": "nik",
        "reason": "nilai tidak diterima: [redacted-16-digits] is not from Central Java",
    }
    assert "1204011203840001" not in r.text
    r = await http.post("/members", json={"nik": "1204011203840001"}, headers=ENGLISH)
    assert r.json()["errors"] == [
        {"field": "nik", "reason": "Value error, [redacted-16-digits] is not from Central Java"}
    ]
    assert "1204011203840001" not in r.text
    r = await http.get("/referrals", params={"status": "pending"})
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "status", "reason": "harus salah satu dari: 'open' atau 'closed'"}
    ]
    r = await http.get("/referrals", params={"status": "pending"}, headers=ENGLISH)
    assert r.json()["errors"] == [
        {"field": "status", "reason": "Input should be 'open' or 'closed'"}
    ]


async def test_unknown_paths_are_problems_too(http: httpx.AsyncClient) -> None:
    r = await http.get("/nowhere")
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM_JSON
    assert r.json() == {
        "type": "about:blank",
        "title": "Tidak ditemukan",
        "status": 404,
        "instance": "/nowhere",
    }
    r = await http.get("/nowhere", headers=ENGLISH)
    assert r.json()["title"] == "Not Found"


def test_service_unavailable_says_why_first_and_when_to_retry() -> None:
    problem = service_unavailable(
        Localised("penyedia identitas tidak menjawab", "the provider is away")
    )
    assert problem.status == 503 and problem.headers == {"Retry-After": "5"}
    assert problem.detail == Localised(
        "penyedia identitas tidak menjawab; tidak ada yang diubah, coba lagi nanti",
        "the provider is away; nothing was changed, retry later",
    )


@pytest.mark.parametrize(
    ("header", "language"),
    [(None, "id"), ("fr", "id"), ("en", "en"), ("id;q=0.3, en;q=0.8", "en"), ("en;q=0", "id")],
)
async def test_a_problem_is_written_in_the_language_the_caller_prefers(
    http: httpx.AsyncClient, header: str | None, language: str
) -> None:
    r = await http.get("/bilingual", headers={"Accept-Language": header} if header else {})
    assert r.status_code == 409
    assert r.headers["content-language"] == language
    assert "accept-language" in r.headers["vary"].lower()
    expected = {
        "id": ("Sudah ada", "program PKH sudah ada", "sudah dipakai"),
        "en": ("Already there", "program PKH already exists", "already taken"),
    }[language]
    body = r.json()
    assert (body["title"], body["detail"], body["errors"][0]["reason"]) == expected
    assert body["errors"][0]["field"] == "code"  # a field's name is never translated


async def test_a_refused_request_names_each_field_in_either_language(
    http: httpx.AsyncClient,
) -> None:
    r = await http.post("/members", json={})
    assert r.status_code == 422 and r.headers["content-language"] == "id"
    assert r.json()["title"] == "Permintaan tidak dapat diproses"
    assert r.json()["errors"] == [{"field": "nik", "reason": "wajib diisi"}]
    assert r.json()["detail"] == "nik: wajib diisi"
    r = await http.post("/members", json={}, headers=ENGLISH)
    assert r.json()["title"] == "Unprocessable request"
    assert r.json()["errors"] == [{"field": "nik", "reason": "Field required"}]
    assert r.json()["detail"] == "nik: Field required"
