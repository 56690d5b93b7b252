"""Intake's HTTP API against the real database and broker: what is stored, what is published."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_contracts.topics import INTAKE_CONTACTS, INTAKE_SUBMITTED
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.testing import assert_problem

if TYPE_CHECKING:
    from conftest import IntakeService

pytestmark = pytest.mark.integration

EXAMPLE_KK = EXAMPLE_INTAKE["household"]["kk_number"]
EXAMPLE_NIKS = [m["nik"] for m in EXAMPLE_INTAKE["members"]]
EXAMPLE_NAMES = [m["name"] for m in EXAMPLE_INTAKE["members"]]
PERSONAL_NUMBERS = [EXAMPLE_KK, *EXAMPLE_NIKS]
DATA_TABLES = ("households", "members", "intakes", "outbox")


def example(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE_INTAKE)
    data.update(changes)
    return data


def with_kk(kk: str) -> dict[str, Any]:
    data = example()
    data["household"]["kk_number"] = kk
    return data


async def post(
    intake: IntakeService, body: dict[str, Any], headers: dict[str, str] | None = None, **kw: Any
) -> Any:
    return await intake.http.post(
        "/v1/intakes", json=body, headers=intake.token() if headers is None else headers, **kw
    )


async def outbox_payloads(
    intake: IntakeService, topic: str = INTAKE_SUBMITTED
) -> list[dict[str, Any]]:
    rows = await intake.rows("SELECT payload FROM outbox WHERE topic = :t ORDER BY seq", t=topic)
    return [r.payload for r in rows]


async def submitted(intake: IntakeService) -> int:
    """intake.submitted events waiting in the outbox (each has its intake.contacts beside)."""
    return len(await outbox_payloads(intake))


async def test_an_intake_is_stored_and_published_without_personal_numbers(
    intake: IntakeService, topic_tail: Callable[[str], Any]
) -> None:
    r = await post(intake, example())
    assert r.status_code == 202, r.text
    body = r.json()
    intake_id, household_id = body["intake_id"], body["household_id"]
    assert body["status"] == "submitted" and body["duplicate"] is False
    assert r.headers["location"] == f"/v1/intakes/{intake_id}"

    stored = await intake.rows("SELECT id, household_id, village_code FROM intakes")
    assert [(str(s.id), str(s.household_id), s.village_code) for s in stored] == [
        (intake_id, household_id, "33.04.01.2001")
    ]
    assert await intake.count("members") == 4
    [published] = await outbox_payloads(intake)
    assert "contact" not in published  # residents' contacts travel to notifications alone:
    [contact] = await outbox_payloads(intake, INTAKE_CONTACTS)
    assert contact["contact"] == example()["contact"] | {"phone": None}
    assert contact["household_id"] == household_id and contact["intake_id"] == intake_id

    async with topic_tail(INTAKE_SUBMITTED) as tail:
        assert await intake.relay_all() == 2
        records = await tail.find(
            lambda rec: (
                rec.key == household_id.encode()
                and json.loads(rec.value).get("intake_id") == intake_id
            )
        )
    assert len(records) == 1
    record = records[0]
    assert await intake.count("outbox") == 0  # relayed rows leave the outbox

    meta = EventMeta.from_headers(record.headers)
    assert meta.type == "rujukan.intake.submitted.v1"
    assert meta.source == "/rujukan/intake"
    assert meta.subject == household_id == record.key.decode()
    assert dict(record.headers)["content-type"] == b"application/json"

    event = IntakeSubmittedV1.model_validate_json(record.value)
    assert event.intake_id == UUID(intake_id)
    assert event.village_code == "33.04.01.2001"
    assert len(event.members) == 4
    assert event.registry.found is True and event.registry.decile == 2
    assert [lane.value for lane in event.priority_lanes] == ["pregnant_or_breastfeeding"]
    assert b"keluarga.sutrisno" not in record.value  # the contact is on intake.contacts only

    # No NIK, KK, their keyed hashes or member names anywhere in the record.
    raw = record.value + b"".join(v for _, v in record.headers) + (record.key or b"")
    for number in PERSONAL_NUMBERS:
        assert number.encode() not in raw
        assert intake.hash(number).encode() not in raw
    for name in EXAMPLE_NAMES:
        assert name.encode() not in raw
    assert b"nik" not in record.value.lower() and b"kk_number" not in record.value


async def test_an_invalid_nik_is_refused_with_a_problem_and_nothing_is_stored(
    intake: IntakeService,
) -> None:
    bad = example()
    bad["members"][0]["nik"] = "3304011303840001"  # encodes the 13th, Sutrisno was born on the 12th
    english = {**intake.token(), "Accept-Language": "en"}
    problem = assert_problem(await post(intake, bad, headers=english), 422)
    assert problem["title"] == "Unprocessable intake"
    assert problem["errors"] == [
        {
            "field": "members[0].nik",
            "reason": "encodes a birth date different from the member's birth_date",
        }
    ]
    assert "3304011303840001" not in json.dumps(problem)

    short = example()
    short["members"][2]["nik"] = "330401600522000"
    problem = assert_problem(await post(intake, short), 422)
    assert problem["title"] == "Intake tidak dapat diproses"
    assert {"field": "members[2].nik", "reason": "harus 16 angka"} in problem["errors"]
    for table in DATA_TABLES:
        assert await intake.count(table) == 0, table


async def test_a_malformed_body_is_a_problem_naming_the_field(intake: IntakeService) -> None:
    bad = example()
    bad["members"][1]["sex"] = "unknown"
    problem = assert_problem(await post(intake, bad), 422)
    assert any(e["field"].startswith("members[1].sex") for e in problem["errors"])
    assert await intake.count("intakes") == 0


async def test_the_same_idempotency_key_twice_gives_the_same_intake_and_one_event(
    intake: IntakeService,
) -> None:
    headers = {**intake.token(), "Idempotency-Key": "form-42"}
    first = await post(intake, example(), headers)
    again = await post(intake, example(), headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["intake_id"] == first.json()["intake_id"]
    assert again.json()["duplicate"] is True
    assert await submitted(intake) == 1
    assert await intake.count("intakes") == 1

    changed = example(needs=["food"])
    problem = assert_problem(await post(intake, changed, headers), 422)
    assert problem["type"].endswith("/idempotency-key-mismatch")
    assert await submitted(intake) == 1

    # the key belongs to its principal: another operator's same key is another request
    other = {**intake.token(subject="op-2"), "Idempotency-Key": "form-42"}
    r = await post(intake, with_kk("3304010101200003"), other)
    assert r.status_code == 202 and r.json()["intake_id"] != first.json()["intake_id"]
    assert await submitted(intake) == 2


async def test_an_empty_idempotency_key_is_refused_and_stores_nothing(
    intake: IntakeService,
) -> None:
    """An empty key is no key at all; twice in a row it once broke the unique index (500)."""
    for _ in range(2):
        problem = assert_problem(
            await post(intake, example(), {**intake.token(), "Idempotency-Key": ""}), 422
        )
        assert any("idempotency" in e["field"].lower() for e in problem["errors"]), problem
    assert await intake.count("intakes") == 0


async def test_the_same_visit_again_within_the_window_is_the_first_intake(
    intake: IntakeService,
) -> None:
    first = await post(intake, example())
    assert first.status_code == 202
    # the same form again, no Idempotency-Key, another consent time (new content: test_visits)
    later = example(consent={**EXAMPLE_INTAKE["consent"], "given_at": "2026-11-24T10:00:00+07:00"})
    again = await post(intake, later)
    assert again.status_code == 202
    assert again.json()["intake_id"] == first.json()["intake_id"]
    assert again.json()["household_id"] == first.json()["household_id"]
    assert again.json()["duplicate"] is True
    assert await intake.count("intakes") == 1
    assert await submitted(intake) == 1
    assert await intake.count("households") == 1

    # another household is not a duplicate
    other = await post(intake, with_kk("3304010101200002"))
    assert other.status_code == 202 and other.json()["duplicate"] is False
    assert other.json()["household_id"] != first.json()["household_id"]
    assert await submitted(intake) == 2


async def test_an_operator_outside_the_village_s_region_is_forbidden(
    intake: IntakeService,
) -> None:
    jakarta = intake.token(regions=["31"])
    problem = assert_problem(await post(intake, example(), jakarta), 403)
    assert problem["detail"] == "desa ini di luar wilayah tugas Anda"
    # a prefix is matched on whole levels: "33.0" does not cover "33.04..."
    assert_problem(await post(intake, example(), intake.token(regions=["33.0"])), 403)
    for table in DATA_TABLES:
        assert await intake.count(table) == 0, table
    # an agency may not record intakes at all
    assert_problem(await post(intake, example(), intake.token("agency", regions=["33"])), 403)
    assert await intake.count("intakes") == 0


async def test_without_a_valid_token_the_answer_is_401(intake: IntakeService) -> None:
    problem = assert_problem(await intake.http.post("/v1/intakes", json=example()), 401)
    assert problem["title"] == "Tidak terautentikasi"
    forged = {"Authorization": "Bearer " + "x" * 40}
    assert_problem(await post(intake, example(), forged), 401)
    r = await intake.http.get(
        "/v1/intakes/00000000-0000-0000-0000-000000000000", headers={"Authorization": "Basic x"}
    )
    assert_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    assert await intake.count("intakes") == 0


async def test_an_intake_is_visible_only_within_the_reader_s_regions(
    intake: IntakeService,
) -> None:
    created = await post(intake, example())
    intake_id = created.json()["intake_id"]
    path = f"/v1/intakes/{intake_id}"

    mine = await intake.http.get(path, headers=intake.token(regions=["33.04.01"]))
    assert mine.status_code == 200
    view = mine.json()
    assert view["intake_id"] == intake_id and view["village_code"] == "33.04.01.2001"
    assert view["household_id"] == created.json()["household_id"]
    assert view["needs"] == ["health_insurance", "schooling", "food"]
    assert view["priority_lanes"] == ["pregnant_or_breastfeeding"]
    assert view["taken_by"] == example()["taken_by"]
    assert view["consent"]["purposes"] == example()["consent"]["purposes"]
    [event] = await outbox_payloads(intake)
    assert view["registry"] == event["registry"]  # the check as it was made, not redone
    assert view["referrals"] == []
    assert set(view) == {  # the answer's shape: nothing more (no member, no number)
        "intake_id",
        "household_id",
        "village_code",
        "needs",
        "priority_lanes",
        "registry",
        "consent",
        "taken_by",
        "submitted_at",
        "referrals",
        "links",
        "visit",
        "follow_up_of",
        "follow_ups",
        "possible_duplicate_of",
        "possible_duplicate_note",
        "complaint",
    }
    assert (view["visit"], view["follow_up_of"], view["follow_ups"]) == ("first", None, [])
    assert (view["possible_duplicate_of"], view["possible_duplicate_note"]) == ([], None)
    # what was referred, and what is suggested to the officer, the router tells
    decisions = f"http://127.0.0.1:8003/v1/intakes/{intake_id}/decisions"
    assert view["links"] == {"decisions": decisions}

    elsewhere = await intake.http.get(path, headers=intake.token(regions=["31", "33.05"]))
    problem = assert_problem(elsewhere, 404)
    assert problem["detail"] == f"tidak ditemukan: intake {intake_id}"
    unknown_id = "7c1f7a6e-9a6b-4f3e-8d56-4f0c8e2a1b11"
    english = {**intake.token(), "Accept-Language": "en"}
    unknown = await intake.http.get(f"/v1/intakes/{unknown_id}", headers=english)
    assert assert_problem(unknown, 404)["detail"] == f"not found: intake {unknown_id}"
    admin = await intake.http.get(path, headers=intake.token("admin", regions=[]))
    assert admin.status_code == 200


async def test_the_registry_check_finds_listed_households_only(intake: IntakeService) -> None:
    listed = await post(intake, example())
    unlisted = await post(intake, with_kk("3304019999999999"))
    assert listed.status_code == unlisted.status_code == 202

    events = {p["intake_id"]: p for p in await outbox_payloads(intake)}
    found = events[listed.json()["intake_id"]]["registry"]
    assert found["found"] is True and found["decile"] == 2 and found["has_kks"] is True
    assert found["source"] == "local"
    missing = events[unlisted.json()["intake_id"]]["registry"]
    assert missing["found"] is False and missing["decile"] is None

    view = (
        await intake.http.get(f"/v1/intakes/{unlisted.json()['intake_id']}", headers=intake.token())
    ).json()
    assert view["registry"]["found"] is False


async def test_registry_enrolments_travel_with_the_intake(intake: IntakeService) -> None:
    r = await post(intake, with_kk("3304010101200004"))  # decile 1, PKH;SEMBAKO;PBI-JK
    assert r.status_code == 202
    [payload] = await outbox_payloads(intake)
    assert payload["registry"]["decile"] == 1
    assert payload["registry"]["enrolments"] == ["PKH", "SEMBAKO", "PBI-JK"]


async def test_no_nik_or_kk_is_stored_in_the_clear(intake: IntakeService) -> None:
    assert (await post(intake, example())).status_code == 202

    members = await intake.rows(
        "SELECT nik_hash, name, birth_date FROM members ORDER BY birth_date"
    )
    by_birth = sorted(EXAMPLE_INTAKE["members"], key=lambda m: m["birth_date"])
    assert len(members) == len(by_birth)
    for row, member in zip(members, by_birth, strict=True):
        assert row.nik_hash != member["nik"]
        assert row.nik_hash == intake.hash(member["nik"])
        assert len(row.nik_hash) == 64
    [household] = await intake.rows("SELECT kk_hash FROM households")
    assert household.kk_hash == intake.hash(EXAMPLE_KK)

    # Every row of every table, as text: no NIK and no KK anywhere.
    tables = [
        r.tablename
        for r in await intake.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    assert {"members", "households", "intakes", "outbox", "registry_households"} <= set(tables)
    for table in tables:
        dump = " ".join(r[0] for r in await intake.rows(f'SELECT t::text FROM "{table}" t'))
        for number in PERSONAL_NUMBERS:
            assert number not in dump, f"{table} holds a NIK or KK in the clear"


async def test_the_pii_key_decides_the_hash(intake: IntakeService) -> None:
    assert (await post(intake, example())).status_code == 202
    [row] = await intake.rows("SELECT kk_hash FROM households")
    import hashlib
    import hmac

    unkeyed = hashlib.sha256(EXAMPLE_KK.encode()).hexdigest()
    dev_keyed = hmac.new(
        b"rujukan-local-pii-key-do-not-use", EXAMPLE_KK.encode(), hashlib.sha256
    ).hexdigest()
    assert row.kk_hash not in (unkeyed, dev_keyed)


async def test_an_undotted_village_code_is_refused_or_normalised(intake: IntakeService) -> None:
    data = example()
    data["household"]["village_code"] = "3304012001"
    r = await post(intake, data, intake.token("admin", regions=[]))
    if r.status_code == 422:
        return
    assert r.status_code == 202, r.text
    [payload] = await outbox_payloads(intake)
    assert payload["village_code"] == "33.04.01.2001"  # the contract: dotted
    # and the village's own operator may record it
    other = copy.deepcopy(data)
    other["household"]["kk_number"] = "3304010101200002"
    assert (await post(intake, other)).status_code == 202


async def test_a_kk_in_non_ascii_digits_is_not_another_household(intake: IntakeService) -> None:
    assert (await post(intake, example())).status_code == 202
    sneaky = with_kk("".join(chr(ord(c) + 0xFEE0) for c in EXAMPLE_KK))
    r = await post(intake, sneaky)
    assert r.status_code == 422 or r.json()["duplicate"] is True
    assert await intake.count("households") == 1


async def test_a_contact_without_notification_consent_is_not_sent_and_withdraws_the_kept_one(
    intake: IntakeService,
) -> None:
    """Notifications hears of every intake's contact on intake.contacts; without the
    'notification' purpose the contact is null, so notifications forgets the one it kept."""
    data = example()
    data["consent"] = {**data["consent"], "purposes": ["referral"]}
    r = await post(intake, data)
    assert r.status_code == 202, r.text
    [contact] = await outbox_payloads(intake, INTAKE_CONTACTS)
    assert contact["contact"] is None and contact["consented"] is False
    assert contact["household_id"] == r.json()["household_id"]
    raw = json.dumps(await intake.rows("SELECT payload FROM outbox"), default=str)
    assert "keluarga.sutrisno" not in raw


async def test_consent_to_be_told_travels_even_without_a_contact(intake: IntakeService) -> None:
    """A resident who agreed to be told but gave no contact (no e-mail, no phone) is still
    said to have agreed: notifications then asks the Puskesos to tell them in person."""
    data = example()
    data.pop("contact", None)
    r = await post(intake, data)
    assert r.status_code == 202, r.text
    [contact] = await outbox_payloads(intake, INTAKE_CONTACTS)
    assert "notification" in data["consent"]["purposes"]
    assert contact["contact"] is None and contact["consented"] is True
