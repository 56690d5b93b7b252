"""Every referral has a short reference people read and type: stored (unique), on its events,
in every referral the API shows, and found again however a person types it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
import pytest
from alembic import command
from alembic.config import Config

from rujukan_contracts.events import ReferralCreatedV1, ReferralStatusChangedV1
from rujukan_contracts.references import referral_reference
from rujukan_platform.testing import Servers
from rujukan_router.adapters.referrals import ReferenceTaken, ReferralRow
from rujukan_router.bootstrap import definition
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import decide
from rujukan_router.service_layer.referrals import NewReferrals, explained
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork

from .conftest import MakeIntake

NOW = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def sloppy(reference: str) -> str:
    """As a resident reads it over the phone to an officer who types it: lower case, spaces
    for dashes, and a letter O wherever there is a zero."""
    return reference.lower().replace("-", " ").replace("0", "o")


def test_a_new_referral_carries_its_reference_on_both_events(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    intake = make_intake()
    decided = decide(intake, catalogue, open_programs=set(), as_of=NOW.date())
    pkh = decided.get("PKH")
    assert pkh is not None
    new = NewReferrals()
    made = new.add(
        intake, pkh.program, explained(pkh, decided.facts, NOW), uuid.uuid4(), NOW, kind="need"
    )
    (row,) = new.rows
    expected = referral_reference(made.id, intake.village_code)
    assert row.reference == expected and expected.startswith("RJK-3304-")
    created_record, status_record = new.events
    assert ReferralCreatedV1.model_validate_json(created_record[4]).reference == expected
    assert ReferralStatusChangedV1.model_validate_json(status_record[4]).reference == expected
    assert orjson.loads(status_record[4])["reference"] == expected


@pytest.mark.integration
async def test_a_referral_is_found_by_its_reference_however_it_is_typed(
    api: Any, make_intake: MakeIntake
) -> None:
    admin = api.token("admin")
    intake = make_intake()
    ids = await api.route(intake)
    other = await api.route(make_intake())  # another household's: never in the answer
    pkh = ids["PKH"]
    stored = await api.rows("SELECT id, reference, village_code FROM referrals")
    assert len({r.reference for r in stored}) == len(stored) == len(ids) + len(other)
    assert all(r.reference == referral_reference(r.id, r.village_code) for r in stored)
    reference = referral_reference(pkh, intake.village_code)

    r = await api.client.get(f"/v1/referrals/{pkh}", headers=admin)
    assert r.status_code == 200 and r.json()["reference"] == reference
    listed = await api.client.get(
        "/v1/referrals", params={"intake_id": str(intake.intake_id)}, headers=admin
    )
    assert all(
        i["reference"] == referral_reference(uuid.UUID(i["referral_id"]), i["village_code"])
        for i in listed.json()["items"]
    )

    for typed in (reference, reference.lower(), sloppy(reference), f" {reference} "):
        r = await api.client.get("/v1/referrals", params={"reference": typed}, headers=admin)
        assert r.status_code == 200, r.text
        assert [i["referral_id"] for i in r.json()["items"]] == [str(pkh)], typed

    # an agency finds only its own program's referrals by reference
    agency = api.token("agency", programs=["PBI-JK"])
    r = await api.client.get("/v1/referrals", params={"reference": reference}, headers=agency)
    assert r.status_code == 200 and r.json()["items"] == []

    r = await api.client.get("/v1/referrals", params={"reference": "RJK-33-XYZ"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "reference"
    assert "bukan nomor rujukan" in r.json()["errors"][0]["reason"]


@pytest.mark.integration
async def test_a_reference_already_taken_fails_the_write_by_name_and_is_never_shared(
    api: Any, make_intake: MakeIntake
) -> None:
    """The unique index holds: a new row drawing a taken reference fails the unit of work with
    ``ReferenceTaken`` (nothing written); its retry makes the referrals with new ids."""
    ids = await api.route(make_intake())
    (taken,) = await api.rows("SELECT * FROM referrals WHERE id = :id", id=ids["PKH"])
    fields = {name: getattr(taken, name) for name in ReferralRow._fields}
    clash = ReferralRow(**{**fields, "id": uuid.uuid4(), "program_code": "CLASH-1"})
    async with api.runtime.unit_of_work() as uow:
        assert isinstance(uow, RouterUnitOfWork)
        with pytest.raises(ReferenceTaken):
            await uow.referrals.add([], [clash], [])
    (count,) = await api.rows(
        "SELECT count(*) FROM referrals WHERE reference = :r", r=taken.reference
    )
    assert count[0] == 1


def _alembic(servers: Servers, database: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(definition.migrations))
    cfg.set_main_option("sqlalchemy.url", f"{servers.pg_url}/{database}")
    cfg.attributes["metadata"] = definition.metadata
    return cfg


@pytest.mark.integration
async def test_the_migration_gives_existing_referrals_their_reference(
    servers: Servers, fresh_database: str
) -> None:
    cfg = _alembic(servers, fresh_database)
    await asyncio.to_thread(command.upgrade, cfg, "0007")
    conn = await asyncpg.connect(f"{servers.pg_dsn}/{fresh_database}")
    try:
        ids = [uuid.uuid4() for _ in range(3)]
        for referral_id in ids:
            await conn.execute(
                "INSERT INTO referrals (id, intake_id, household_id, program_code,"
                " program_version, kind, status, village_code, needs, priority_lanes, rank,"
                " decision_id, created_at, updated_at) VALUES ($1, $2, $2, $3, 1, 'need',"
                " 'created', '33.04.01.2001', '{}', '{}', 0, $2, now(), now())",
                referral_id,
                uuid.uuid4(),
                f"P-{referral_id.hex[:6].upper()}",
            )
        await asyncio.to_thread(command.upgrade, cfg, "head")
        rows = await conn.fetch("SELECT id, reference FROM referrals")
    finally:
        await conn.close()
    assert {r["id"]: r["reference"] for r in rows} == {
        i: referral_reference(i, "33.04.01.2001") for i in ids
    }
