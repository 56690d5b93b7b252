"""Every visit counts: a household's second intake within the duplicate window that brings
anything new is a follow-up visit of its first (stored, published, routed), a word-for-word
repeat is still a duplicate; members already in another KK flag a probable duplicate (the
registry's own NIK match: test_registry_niks.py)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest

from rujukan_intake.domain.intake import EXAMPLE_INTAKE

if TYPE_CHECKING:
    from conftest import IntakeService

pytestmark = pytest.mark.integration

KK = EXAMPLE_INTAKE["household"]["kk_number"]  # in the seed registry: decile 2
MISTYPED_KK = "3304010101200091"  # the same family, one digit off: not in the registry
NIKS = [m["nik"] for m in EXAMPLE_INTAKE["members"]]
NAMES = [m["name"] for m in EXAMPLE_INTAKE["members"]]
PBI_COMPLAINT = {
    "kind": "complaint",
    "text": "Kartu KIS ibu tidak aktif lagi sejak bulan lalu",
    "about_program": "PBI-JK",
}


def example(kk: str = KK, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE_INTAKE)
    data["household"]["kk_number"] = kk
    data.update(changes)
    return data


async def post(intake: IntakeService, body: dict[str, Any], key: str | None = None) -> Any:
    headers = intake.token() if key is None else {**intake.token(), "Idempotency-Key": key}
    r = await intake.http.post("/v1/intakes", json=body, headers=headers)
    assert r.status_code == 202, r.text
    return r.json()


async def view(intake: IntakeService, intake_id: str) -> dict[str, Any]:
    r = await intake.http.get(f"/v1/intakes/{intake_id}", headers=intake.token())
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def submitted(intake: IntakeService) -> dict[str, dict[str, Any]]:
    """The intake.submitted events waiting in the outbox, by intake id."""
    rows = await intake.rows(
        "SELECT payload FROM outbox WHERE topic = 'intake.submitted' ORDER BY seq"
    )
    return {r.payload["intake_id"]: r.payload for r in rows}


async def test_a_second_visit_with_new_content_is_a_follow_up_of_the_first(
    intake: IntakeService,
) -> None:
    first = await post(intake, example())
    assert (first["visit"], first["follow_up_of"], first["duplicate"]) == ("first", None, False)

    # the same KK the next morning: a housing need, a complaint about PBI-JK, the land surveyed
    later = example(needs=["health_insurance", "housing"], complaint=PBI_COMPLAINT)
    later["household"].update(owns_land=True, house_below_standard=True)
    second = await post(intake, later)
    assert second["duplicate"] is False and second["intake_id"] != first["intake_id"]
    assert second["household_id"] == first["household_id"]
    assert (second["visit"], second["follow_up_of"]) == ("follow_up", first["intake_id"])
    assert second["links"] == {"self": f"/v1/intakes/{second['intake_id']}"}

    # published like any intake, its new content with it, linked to the first
    events = await submitted(intake)
    assert list(events) == [first["intake_id"], second["intake_id"]]
    assert events[first["intake_id"]]["follow_up_of"] is None
    event = events[second["intake_id"]]
    assert event["follow_up_of"] == first["intake_id"]
    assert event["needs"] == ["health_insurance", "housing"]
    assert event["complaint"]["about_program"] == "PBI-JK"
    assert event["household"]["house_below_standard"] is True
    assert event["registry"]["found"] is True and event["registry"]["matched_by"] == "kk"
    assert await intake.count("households") == 1 and await intake.count("members") == 4

    # both views say where they stand among the household's visits
    first_view, second_view = (
        await view(intake, first["intake_id"]),
        await view(intake, second["intake_id"]),
    )
    assert (first_view["visit"], first_view["follow_ups"]) == ("first", [second["intake_id"]])
    assert second_view["visit"] == "follow_up"
    assert second_view["follow_up_of"] == first["intake_id"]
    assert second_view["needs"] == ["health_insurance", "housing"]

    # a third visit, another new need: it follows up the first too, not the second
    third = await post(intake, example(needs=["food", "other"], other_need="Kursi roda"))
    assert (third["visit"], third["follow_up_of"]) == ("follow_up", first["intake_id"])
    assert (await view(intake, first["intake_id"]))["follow_ups"] == [
        second["intake_id"],
        third["intake_id"],
    ]


async def test_a_true_repeat_is_still_a_duplicate_of_the_visit_it_repeats(
    intake: IntakeService,
) -> None:
    first = await post(intake, example(), key="form-1")
    follow_up = await post(intake, example(needs=["housing"]), key="form-2")
    assert follow_up["follow_up_of"] == first["intake_id"]
    stored = await intake.count("intakes"), await intake.count("outbox")

    # the first form again, taken by phone under a new key: the first intake, nothing stored
    by_phone = example(taken_by={"puskesos": "Puskesos Desa Berta", "channel": "phone"})
    again = await post(intake, by_phone, key="form-3")
    assert again["duplicate"] is True and again["intake_id"] == first["intake_id"]
    assert (again["visit"], again["follow_up_of"]) == ("first", None)
    # the follow-up's form again: the follow-up
    again = await post(intake, example(needs=["housing"]))
    assert again["duplicate"] is True and again["intake_id"] == follow_up["intake_id"]
    assert (again["visit"], again["follow_up_of"]) == ("follow_up", first["intake_id"])
    # the first form typed again, its members and needs in another order: still a repeat
    retyped = example(needs=list(reversed(EXAMPLE_INTAKE["needs"])))
    retyped["members"].reverse()
    again = await post(intake, retyped)
    assert again["duplicate"] is True and again["intake_id"] == first["intake_id"]
    # a retry under the follow-up's own key
    again = await post(intake, example(needs=["housing"]), key="form-2")
    assert again["duplicate"] is True and again["intake_id"] == follow_up["intake_id"]
    assert again["visit"] == "follow_up"
    assert (await intake.count("intakes"), await intake.count("outbox")) == stored


async def test_a_batch_holds_a_first_visit_its_follow_up_and_their_repeats(
    intake: IntakeService,
) -> None:
    items = [
        {"idempotency_key": "row-1", "intake": example()},
        {"idempotency_key": "row-2", "intake": example(needs=["housing"])},
        {"idempotency_key": "row-3", "intake": example()},  # a repeat of row-1
        {"idempotency_key": "row-4", "intake": example(needs=["housing"])},  # of row-2
    ]
    r = await intake.http.post("/v1/intakes/batch", json={"items": items}, headers=intake.token())
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"], body["refused"]) == (2, 2, 0)
    one, two, three, four = body["results"]
    assert (one["visit"], one["duplicate"]) == ("first", False)
    assert (two["visit"], two["follow_up_of"]) == ("follow_up", one["intake_id"])
    assert (three["intake_id"], three["duplicate"], three["visit"]) == (
        one["intake_id"],
        True,
        "first",
    )
    assert (four["intake_id"], four["duplicate"], four["follow_up_of"]) == (
        two["intake_id"],
        True,
        one["intake_id"],
    )
    events = await submitted(intake)
    assert [e["follow_up_of"] for e in events.values()] == [None, one["intake_id"]]


async def test_members_of_another_kk_flag_a_probable_duplicate_never_merged(
    intake: IntakeService,
) -> None:
    first = await post(intake, example())
    assert first["possible_duplicate_of"] == [] and first["possible_duplicate_note"] is None

    # the same four people under a mistyped KK: accepted as its own household, flagged
    mistyped = await post(intake, example(MISTYPED_KK))
    assert mistyped["duplicate"] is False and mistyped["visit"] == "first"
    assert mistyped["household_id"] != first["household_id"]
    assert mistyped["possible_duplicate_of"] == [
        {"household_id": first["household_id"], "members_matched": 4}
    ]
    note = mistyped["possible_duplicate_note"]
    assert note.startswith("Kemungkinan data ganda: 4 anggota keluarga ini")
    assert "KK berbeda" in note and "tidak digabung otomatis" in note
    shown = await view(intake, mistyped["intake_id"])
    assert shown["possible_duplicate_of"] == mistyped["possible_duplicate_of"]
    assert shown["possible_duplicate_note"] == note
    assert (await view(intake, first["intake_id"]))["possible_duplicate_of"] == []
    for answer in (mistyped, shown):
        text = str(answer)
        assert not any(secret in text for secret in [KK, MISTYPED_KK, *NIKS, *NAMES])
    # nothing merged: two households, each with its own four members
    assert await intake.count("households") == 2 and await intake.count("members") == 8

    # one member moved to a third KK (married out): flagged against both, one member each
    moved = copy.deepcopy(EXAMPLE_INTAKE["members"][1])
    moved["relationship"] = "head"
    third = await post(intake, example("3304010101200555", members=[moved]))
    assert sorted(m["members_matched"] for m in third["possible_duplicate_of"]) == [1, 1]
    assert {m["household_id"] for m in third["possible_duplicate_of"]} == {
        first["household_id"],
        mistyped["household_id"],
    }
    assert "pada 2 rumah tangga lain" in third["possible_duplicate_note"]

    # a repeat of the flagged intake answers with its flag
    again = await post(intake, example(MISTYPED_KK))
    assert again["duplicate"] is True
    assert again["possible_duplicate_of"] == mistyped["possible_duplicate_of"]
