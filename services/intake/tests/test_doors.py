"""Intake's door refuses what the database or a person cannot use: control characters in any text
field, unusable contacts, implausible dates, oversized bodies; and says 503, not 500, while
PostgreSQL is away."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import httpx
import pytest

from rujukan_intake.bootstrap import definition
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.runtime import Runtime, build_app
from rujukan_platform.testing import free_port

if TYPE_CHECKING:
    from conftest import IntakeService

pytestmark = pytest.mark.integration

MiB = 1024 * 1024


def example() -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE_INTAKE)
    data["complaint"] = {"kind": "complaint", "about_program": "PKH", "text": "Belum cair"}
    data["other_need"] = "Kursi roda"
    data["contact"] = {"language": "id", "email": "warga@example.org", "phone": "081234567890"}
    return data


def _set(data: Any, path: list[Any], value: str) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


#: every text field of POST /v1/intakes, as its path in the body and as the problem names it
TEXT_FIELDS: list[tuple[list[Any], str]] = [
    (["household", "kk_number"], "household.kk_number"),
    (["household", "village_code"], "household.village_code"),
    (["household", "missing_documents"], "household.missing_documents[0]"),
    (["members", 0, "nik"], "members[0].nik"),
    (["members", 1, "name"], "members[1].name"),
    (["other_need"], "other_need"),
    (["complaint", "about_program"], "complaint.about_program"),
    (["complaint", "text"], "complaint.text"),
    (["consent", "purposes"], "consent.purposes[0]"),
    (["consent", "recipients"], "consent.recipients[0]"),
    (["contact", "email"], "contact.email"),
    (["contact", "phone"], "contact.phone"),
    (["taken_by", "puskesos"], "taken_by.puskesos"),
]


def assert_field_refused(response: Any, field: str) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    reasons = [e["reason"] for e in body["errors"] if e["field"] == field]
    assert reasons, f"{field} not named in {body['errors']}"
    return str(reasons[0])


@pytest.mark.parametrize(("path", "field"), TEXT_FIELDS, ids=[f for _p, f in TEXT_FIELDS])
async def test_a_nul_in_any_text_field_is_refused_naming_the_field(
    intake: IntakeService, path: list[Any], field: str
) -> None:
    data = example()
    is_list = field.endswith("[0]")
    value = "Desa\x00Berta"
    _set(data, path, [value] if is_list else value)  # type: ignore[arg-type]
    r = await intake.http.post("/v1/intakes", json=data, headers=intake.token())
    reason = assert_field_refused(r, field)
    assert reason == "mengandung karakter kontrol (U+0000)"
    assert await intake.count("intakes") == 0 and await intake.count("outbox") == 0


async def test_other_control_characters_are_refused_and_free_text_keeps_newlines(
    intake: IntakeService,
) -> None:
    for ch in ("\x1f", "\x7f", "\x85"):
        data = example()
        data["members"][0]["name"] = f"Sutri{ch}sno"
        r = await intake.http.post("/v1/intakes", json=data, headers=intake.token())
        assert f"U+{ord(ch):04X}" in assert_field_refused(r, "members[0].name")
    data = example()
    data["taken_by"]["puskesos"] = "Puskesos\nDesa Berta"
    r = await intake.http.post("/v1/intakes", json=data, headers=intake.token())
    assert "U+000A" in assert_field_refused(r, "taken_by.puskesos")
    data = example()
    data["complaint"]["text"] = "Bantuan belum cair.\n\tSudah tiga bulan."
    r = await intake.http.post("/v1/intakes", json=data, headers=intake.token())
    assert r.status_code == 202, r.text


async def test_a_lone_surrogate_is_refused_not_stored(intake: IntakeService) -> None:
    raw = json.dumps(example()).replace('"Sutrisno"', '"Sutri\\ud800sno"')
    r = await intake.http.post(
        "/v1/intakes",
        content=raw,
        headers={**intake.token(), "content-type": "application/json"},
    )
    assert_field_refused(r, "members[0].name")
    assert await intake.count("intakes") == 0


async def test_contacts_are_normalized_before_they_are_stored_or_published(
    intake: IntakeService,
) -> None:
    data = example()
    data["contact"] = {"email": " Keluarga.Sutrisno@Example.ORG ", "phone": "0812-3456-7890"}
    r = await intake.http.post("/v1/intakes", json=data, headers=intake.token())
    assert r.status_code == 202, r.text
    (row,) = await intake.rows("SELECT payload FROM outbox WHERE topic = 'intake.contacts'")
    assert row.payload["contact"]["email"] == "Keluarga.Sutrisno@example.org"
    assert row.payload["contact"]["phone"] == "+6281234567890"

    for contact, field in [
        ({"email": "keluarga@@example.org"}, "contact.email"),
        ({"phone": "call the village head"}, "contact.phone"),
        ({"phone": "12"}, "contact.phone"),
    ]:
        data = example()
        data["contact"] = contact
        r = await intake.http.post("/v1/intakes", json=data, headers=intake.token())
        assert_field_refused(r, field)


async def test_implausible_dates_are_refused(intake: IntakeService) -> None:
    data = example()
    data["members"][0]["birth_date"] = "1850-03-12"
    r = await intake.http.post("/v1/intakes", json=data, headers=intake.token())
    assert_field_refused(r, "members[0].birth_date")
    data = example()
    data["consent"]["given_at"] = "2999-01-01T09:00:00+07:00"
    r = await intake.http.post("/v1/intakes", json=data, headers=intake.token())
    assert "masa depan" in assert_field_refused(r, "consent.given_at")


async def test_a_nul_inside_a_batch_is_refused_naming_the_item(intake: IntakeService) -> None:
    data = example()
    data["taken_by"]["puskesos"] = "Puskesos\x00"
    r = await intake.http.post(
        "/v1/intakes/batch", json={"items": [{"intake": data}]}, headers=intake.token()
    )
    assert_field_refused(r, "items[0].intake.taken_by.puskesos")


# --------------------------------------------------------------------------- body size


class Upload:
    """A request body streamed in 64 KiB chunks, counting how many the server pulled."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.pulled = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        while sent < self.total:
            self.pulled += 1
            size = min(self.chunk, self.total - sent)
            sent += size
            yield b" " * size


def assert_too_large(response: Any) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413


async def test_a_30_mb_body_is_refused_before_it_is_read(intake: IntakeService) -> None:
    upload = Upload(30 * MiB)
    r = await intake.http.post(
        "/v1/intakes",
        content=upload,  # type: ignore[arg-type]
        headers={
            **intake.token(),
            "content-type": "application/json",
            "content-length": str(upload.total),
        },
    )
    assert_too_large(r)
    assert upload.pulled == 0  # Content-Length said enough: not one chunk was read


async def test_a_chunked_body_is_cut_at_the_limit(intake: IntakeService) -> None:
    upload = Upload(30 * MiB)
    r = await intake.http.post(
        "/v1/intakes",
        content=upload,  # type: ignore[arg-type]
        headers={**intake.token(), "content-type": "application/json"},
    )
    assert_too_large(r)
    assert upload.pulled <= MiB // upload.chunk + 1  # stopped at 1 MiB, not 30


async def test_the_batch_endpoint_takes_more_than_a_single_intake(
    intake: IntakeService,
) -> None:
    padded = b'{"items": []}' + b" " * (2 * MiB)  # over 1 MiB, under the batch limit
    r = await intake.http.post(
        "/v1/intakes/batch",
        content=padded,
        headers={**intake.token(), "content-type": "application/json"},
    )
    assert r.status_code == 422, r.text  # read and validated: the list is empty
    assert r.json()["errors"][0]["field"] == "items"
    r = await intake.http.post(
        "/v1/intakes",
        content=padded,
        headers={**intake.token(), "content-type": "application/json"},
    )
    assert_too_large(r)
    upload = Upload(17 * MiB)
    r = await intake.http.post(
        "/v1/intakes/batch",
        content=upload,  # type: ignore[arg-type]
        headers={**intake.token(), "content-type": "application/json"},
    )
    assert_too_large(r)


# --------------------------------------------------------------------------- 503


async def test_postgresql_away_is_a_503_with_retry_after(intake: IntakeService) -> None:
    nowhere = f"postgresql+asyncpg://rujukan:rujukan@127.0.0.1:{free_port()}"
    settings = intake.settings.model_copy(update={"pg_url": nowhere})
    runtime = Runtime(definition, settings)
    runtime.on_fatal = lambda exc: None
    app = build_app(runtime)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        for method, url, body in [
            ("GET", f"/v1/intakes/{uuid4()}", None),
            ("POST", "/v1/intakes", example()),
        ]:
            r = await http.request(method, url, json=body, headers=intake.token())
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert int(r.headers["retry-after"]) > 0
