"""The registry check by NIK: the registry file's ``niks`` column is stored only as keyed hashes
(``registry_members``), a refresh keeps each household's members as listed, a bad or repeated
NIK stops the load by line, and an intake whose KK the registry does not know is found by a
member's NIK (``matched_by: nik``), so a mistyped KK's registered family is not proposed for
inclusion again."""

from __future__ import annotations

import asyncio
import copy
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from rujukan_intake.adapters.registry import BadRegistryRow, LoadResult, read_registry_csv
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork

if TYPE_CHECKING:
    from conftest import IntakeService

pytestmark = pytest.mark.integration

KK = EXAMPLE_INTAKE["household"]["kk_number"]  # in the seed registry, with no NIK listed
MISTYPED_KK = "3304010101200091"
NIKS = [m["nik"] for m in EXAMPLE_INTAKE["members"]]
OTHER_KK = "3304010101200002"
HEADER = "kk,decile,enrolments,has_kks,niks\n"
SEED_LINES = (
    (Path(__file__).resolve().parents[1] / "seed" / "registry.csv").read_text().splitlines()
)


def example(kk: str, members: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE_INTAKE)
    data["household"]["kk_number"] = kk
    if members is not None:
        data["members"] = members
    return data


async def load(intake: IntakeService, path: Path, text: str) -> LoadResult:
    await asyncio.to_thread(path.write_text, text)
    async with IntakeUnitOfWork(intake.runtime.sessions) as uow:
        loaded = await uow.registry.load(read_registry_csv(path, intake.hash))
        await uow.commit()
    return loaded


async def members(intake: IntakeService) -> set[tuple[str, str]]:
    """The registry's members of the households these tests list (the seed lists others)."""
    rows = await intake.rows(
        "SELECT nik_hash, kk_hash FROM registry_members WHERE kk_hash IN (:a, :b)",
        a=intake.hash(KK),
        b=intake.hash(OTHER_KK),
    )
    return set(rows)


async def post(intake: IntakeService, body: dict[str, Any]) -> dict[str, Any]:
    r = await intake.http.post("/v1/intakes", json=body, headers=intake.token())
    assert r.status_code == 202, r.text
    result: dict[str, Any] = r.json()
    return result


async def registry_facts(intake: IntakeService) -> dict[str, dict[str, Any]]:
    rows = await intake.rows("SELECT payload FROM outbox WHERE topic = 'intake.submitted'")
    return {r.payload["intake_id"]: r.payload["registry"] for r in rows}


async def test_members_are_kept_as_hashes_and_follow_each_refresh(
    intake: IntakeService, tmp_path: Path
) -> None:
    loaded = await load(
        intake, tmp_path / "a.csv", f"{HEADER}{KK},2,SEMBAKO,true,{';'.join(NIKS[:3])}\n"
    )
    assert (loaded.rows, loaded.members) == (1, 3)
    assert await members(intake) == {(intake.hash(n), intake.hash(KK)) for n in NIKS[:3]}
    stored = str(await members(intake))
    assert not any(nik in stored for nik in NIKS) and KK not in stored

    # the next file: the third member moved to another KK, the second left, the fourth came
    listed = f"{HEADER}{KK},2,SEMBAKO,true,{NIKS[0]};{NIKS[3]}\n{OTHER_KK},3,,true,{NIKS[2]}\n"
    assert (await load(intake, tmp_path / "b.csv", listed)).members == 3
    assert await members(intake) == {
        (intake.hash(NIKS[0]), intake.hash(KK)),
        (intake.hash(NIKS[3]), intake.hash(KK)),
        (intake.hash(NIKS[2]), intake.hash(OTHER_KK)),
    }
    # a file without the column says nothing of members: they stay
    before = await members(intake)
    assert (await load(intake, tmp_path / "c.csv", f"kk,decile\n{KK},1\n")).members == 0
    assert await members(intake) == before


async def test_a_bad_or_repeated_nik_stops_the_load_by_line_and_applies_nothing(
    intake: IntakeService, tmp_path: Path
) -> None:
    before = await members(intake), await intake.rows("SELECT * FROM registry_households")
    bad_nik = NIKS[0][:6] + "32" + NIKS[0][8:]  # day 32: no one's birth date
    for text, message in [
        (f"{HEADER}{KK},2,,true,{NIKS[0]};{NIKS[0][:15]}\n", "line 2: niks: must be 16 digits"),
        (f"{HEADER}{KK},2,,true,{bad_nik}\n", "line 2: niks: is not a valid NIK"),
        (
            f"{HEADER}{KK},2,,true,{NIKS[0]}\n{OTHER_KK},1,,true,{NIKS[1]}\n"
            f"3304010101200003,7,,false,{NIKS[1]};{NIKS[2]}\n",
            "line 4: niks: a NIK also listed on line 3",
        ),
    ]:
        with pytest.raises(BadRegistryRow) as caught:
            await load(intake, tmp_path / "bad.csv", text)
        assert str(caught.value).startswith(message)
        assert not any(nik in str(caught.value) for nik in NIKS)
    assert (await members(intake), await intake.rows("SELECT * FROM registry_households")) == (
        before
    )


async def test_a_mistyped_kk_s_registered_family_is_found_by_a_member_s_nik(
    intake: IntakeService, tmp_path: Path
) -> None:
    await load(intake, tmp_path / "dtks.csv", f"{HEADER}{KK},2,SEMBAKO,true,{';'.join(NIKS[:2])}\n")

    by_kk = await post(intake, example(KK))
    mistyped = await post(intake, example(MISTYPED_KK))
    children = copy.deepcopy(EXAMPLE_INTAKE["members"][2:])  # not listed in the registry
    unlisted = await post(intake, example("3304010101200777", children))
    facts = await registry_facts(intake)

    kk_facts = facts[by_kk["intake_id"]]
    assert (kk_facts["found"], kk_facts["matched_by"], kk_facts["decile"]) == (True, "kk", 2)
    nik_facts = facts[mistyped["intake_id"]]
    assert (nik_facts["found"], nik_facts["matched_by"], nik_facts["decile"]) == (True, "nik", 2)
    assert (nik_facts["enrolments"], nik_facts["has_kks"]) == (["SEMBAKO"], True)
    shown = await intake.http.get(f"/v1/intakes/{mistyped['intake_id']}", headers=intake.token())
    assert shown.json()["registry"]["matched_by"] == "nik"
    missing = facts[unlisted["intake_id"]]
    assert (missing["found"], missing["matched_by"]) == (False, None)


def born(nik: str) -> dict[str, str]:
    """A member's birth date and sex as the NIK encodes them (heads are born 1951-2006)."""
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    year += 1900 if year > 26 else 2000
    sex = "female" if female else "male"
    return {"birth_date": date(year, month, day - 40 if female else day).isoformat(), "sex": sex}


async def test_the_seed_registry_finds_a_generated_family_by_nik(intake: IntakeService) -> None:
    """The committed seed lists generated families' NIKs: one is found under a wrong KK."""
    kk, decile, enrolments, _, niks = next(
        line.split(",") for line in SEED_LINES[1:] if line.split(",")[4]
    )
    head = niks.split(";")[0]
    member = {"nik": head, "name": "Kepala Keluarga", "relationship": "head", **born(head)}
    wrong_kk = kk[:-4] + ("0000" if kk[-4:] != "0000" else "0001")
    r = await post(intake, example(wrong_kk, [member]))
    facts = (await registry_facts(intake))[r["intake_id"]]
    assert (facts["found"], facts["matched_by"], facts["decile"]) == (True, "nik", int(decile))
    assert facts["enrolments"] == [e for e in enrolments.split(";") if e]
