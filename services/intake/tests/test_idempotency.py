"""An intake's Idempotency-Key (header, or a batch item's ``idempotency_key``) names one
request: the same request again gets the first answer, another request under that key is
refused (422 idempotency-key-mismatch) and stores and publishes nothing."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from rujukan_intake.domain.intake import EXAMPLE_INTAKE

if TYPE_CHECKING:
    from conftest import IntakeService

pytestmark = pytest.mark.integration

MISMATCH = "https://rujukan.example/problems/idempotency-key-mismatch"
TABLES = ("households", "members", "intakes", "duplicate_keys", "outbox")


def example(kk: str = "3304010101200001", **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE_INTAKE)
    data["household"]["kk_number"] = kk
    data.update(changes)
    return data


async def everything(intake: IntakeService) -> dict[str, list[Any]]:
    """Every row a submission may store or stage."""
    return {t: await intake.rows(f"SELECT * FROM {t} ORDER BY 1, 2") for t in TABLES}


async def post(intake: IntakeService, body: dict[str, Any], key: str) -> Any:
    headers = {**intake.token(), "Idempotency-Key": key}
    return await intake.http.post("/v1/intakes", json=body, headers=headers)


def assert_mismatch(problem: dict[str, Any]) -> None:
    assert problem["status"] == 422
    assert problem["type"] == MISMATCH and problem["type"].endswith("idempotency-key-mismatch")
    assert problem["title"].startswith("Idempotency-Key dipakai untuk permintaan lain")
    assert problem["detail"].startswith("Idempotency-Key ini sudah dipakai")
    assert problem["errors"][0]["field"] == "Idempotency-Key"


def refused(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert_mismatch(response.json())


async def test_an_intake_key_means_one_request(intake: IntakeService) -> None:
    first = await post(intake, example(), "form-1")
    assert first.status_code == 202, first.text
    stored = await everything(intake)
    assert 2 * len(stored["intakes"]) == len(stored["outbox"]) == 2  # + intake.contacts

    again = await post(intake, example(), "form-1")
    assert again.status_code == 202, again.text
    assert again.json()["intake_id"] == first.json()["intake_id"]
    assert again.json()["duplicate"] is True
    assert await everything(intake) == stored

    renamed = example()
    renamed["members"][0]["name"] = "Sutrisno Wibowo"
    for other in (
        example(needs=["food"]),
        example(contact={"language": "id", "email": "lain@example.org"}),
        renamed,
        example(kk="3304010101200002"),  # another household
    ):
        refused(await post(intake, other, "form-1"))
        assert await everything(intake) == stored


async def test_a_key_answered_as_a_duplicate_still_names_its_request(
    intake: IntakeService,
) -> None:
    first = await post(intake, example(), "form-1")
    assert first.status_code == 202, first.text
    # the same visit again (taken by phone) under another key: answered with the first intake
    later = example(taken_by={"puskesos": "Puskesos Desa Berta", "channel": "phone"})
    duplicate = await post(intake, later, "form-2")
    assert duplicate.status_code == 202, duplicate.text
    assert duplicate.json()["intake_id"] == first.json()["intake_id"]
    stored = await everything(intake)

    # form-2 was that request: another household under it is refused, nothing stored
    refused(await post(intake, example(kk="3304010101200002"), "form-2"))
    assert await everything(intake) == stored
    assert [(k.idempotency_key, str(k.intake_id)) for k in stored["duplicate_keys"]] == [
        ("form-2", first.json()["intake_id"])
    ]

    # and its retry is answered with the same intake, even after the duplicate window
    async with intake.runtime.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE intakes SET submitted_at = submitted_at - interval '30 days'")
        )
    stored = await everything(intake)
    retry = await post(intake, later, "form-2")
    assert retry.status_code == 202, retry.text
    assert retry.json()["intake_id"] == first.json()["intake_id"]
    assert await everything(intake) == stored


async def test_a_mismatching_batch_item_is_refused_in_its_slot_and_the_others_proceed(
    intake: IntakeService,
) -> None:
    first = await post(intake, example(), "row-1")
    assert first.status_code == 202, first.text
    items = [
        {"idempotency_key": "row-2", "intake": example(kk="3304010101200002")},
        {"idempotency_key": "row-1", "intake": example(kk="3304010101200003")},  # reused
        {"idempotency_key": "row-1", "intake": example()},  # a retry of row-1
        {"idempotency_key": "row-4", "intake": example(kk="3304010101200004")},
        {"idempotency_key": "row-4", "intake": example(kk="3304010101200005")},  # reused
    ]
    r = await intake.http.post("/v1/intakes/batch", json={"items": items}, headers=intake.token())
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"], body["refused"]) == (2, 1, 2)
    results = body["results"]
    assert [x["status"] for x in results] == [202, 422, 202, 202, 422]
    assert results[2]["intake_id"] == first.json()["intake_id"] and results[2]["duplicate"]
    for slot in (results[1], results[4]):
        assert slot["intake_id"] is None
        assert_mismatch(slot["problem"])

    stored = await everything(intake)
    kk_hashes = {h.kk_hash for h in stored["households"]}
    assert kk_hashes == {intake.hash(f"330401010120000{n}") for n in (1, 2, 4)}
    assert 2 * len(stored["intakes"]) == len(stored["outbox"]) == 6  # + intake.contacts
    assert {i.idempotency_key for i in stored["intakes"]} == {"row-1", "row-2", "row-4"}
    assert stored["duplicate_keys"] == []
