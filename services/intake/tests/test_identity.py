"""The family behind a referral, for the agency that must serve it — while the referral is open
and the resident's consent covers its program — and the log of every such read."""

from __future__ import annotations

import asyncio
import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.config import Config

from rujukan_contracts.events import ReferralStatus, ReferralStatusChangedV1
from rujukan_contracts.references import referral_reference
from rujukan_contracts.topics import INTAKE_SUBMITTED as SUBMITTED
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_intake.bootstrap import definition
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.testing import Servers
from rujukan_registry.domain.programs import published_event
from rujukan_registry.settings import RegistrySettings

from .conftest import SECRET, IntakeService

pytestmark = pytest.mark.integration

VILLAGE = EXAMPLE_INTAKE["household"]["village_code"]
ADDRESS = "Dusun Krajan RT 02 RW 01, dekat masjid"


def bearer(role: str, **scope: list[str]) -> dict[str, str]:
    principal = Principal(subject=f"{role}-{uuid.uuid4().hex[:6]}", role=role, **scope)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {issue_token(SECRET, principal)}"}


def a_family(**consent: Any) -> dict[str, Any]:
    """The example household, with an address and a document it lacks."""
    body = copy.deepcopy(EXAMPLE_INTAKE)
    body["household"]["kk_number"] = f"33040101012{uuid.uuid4().int % 10**5:05d}"
    body["household"]["address"] = ADDRESS
    body["household"]["missing_documents"] = ["KK"]
    body["consent"].update(consent)
    return body


async def know_programs(intake: IntakeService) -> None:
    """The seed catalogue, as the intake-programs consumer applies programs.catalog."""
    for program in load_seed_programs(RegistrySettings().seed_dir):
        await intake.runtime.handle(published_event(program))


async def referred(
    intake: IntakeService,
    body: dict[str, Any],
    program: str = "PKH",
    status: ReferralStatus = ReferralStatus.delivered,
) -> tuple[dict[str, Any], uuid.UUID, str]:
    """An intake of ``body``, and its referral to ``program`` as the router reports it on
    referrals.status: the answer, the referral id and its reference."""
    r = await intake.http.post("/v1/intakes", json=body, headers=intake.token())
    assert r.status_code == 202, r.text
    answer = r.json()
    referral_id = uuid.uuid4()
    reference = referral_reference(referral_id, VILLAGE)
    await tell(intake, answer, referral_id, program, status, reference=reference)
    return answer, referral_id, reference


async def tell(
    intake: IntakeService,
    answer: dict[str, Any],
    referral_id: uuid.UUID,
    program: str,
    status: ReferralStatus,
    *,
    reference: str | None = None,
    later: timedelta = timedelta(0),
) -> None:
    await intake.runtime.handle(  # as the intake-referral-status consumer applies it
        ReferralStatusChangedV1(
            referral_id=referral_id,
            reference=reference,
            intake_id=answer["intake_id"],
            household_id=answer["household_id"],
            program_code=program,
            village_code=VILLAGE,
            from_status=None,
            to_status=status,
            changed_at=datetime.now(UTC) + later,
        ),
    )


async def read(
    intake: IntakeService, referral_id: uuid.UUID, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    r = await intake.http.get(
        f"/v1/referrals/{referral_id}/household",
        params={"purpose": "verifikasi lapangan"},
        headers=headers,
    )
    return r.status_code, r.json()


async def reads_of(intake: IntakeService, household_id: str) -> list[dict[str, Any]]:
    r = await intake.http.get(
        "/v1/identity-reads", params={"household_id": household_id}, headers=intake.token()
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_the_agency_of_an_open_consented_referral_reads_everything_and_is_logged(
    intake: IntakeService,
) -> None:
    await know_programs(intake)
    body = a_family()
    answer, referral_id, reference = await referred(intake, body, "PKH")
    pkh = bearer("agency", programs=["PKH"])

    status, seen = await read(intake, referral_id, pkh)
    assert status == 200, seen
    assert seen["referral_id"] == str(referral_id) and seen["reference"] == reference
    assert seen["program_code"] == "PKH" and seen["household_id"] == answer["household_id"]
    assert seen["kk_number"] == body["household"]["kk_number"]
    assert seen["address"] == ADDRESS
    assert seen["contact"] == {"language": "id", "email": body["contact"]["email"], "phone": None}
    assert seen["village"] == {
        "code": VILLAGE,
        "name": "Berta",
        "subdistrict": "Susukan",
        "regency": "Kabupaten Banjarnegara",
    }
    given = {m["nik"]: m for m in body["members"]}
    assert seen["members"][0]["name"] == body["members"][0]["name"]  # the head first
    assert {m["nik"]: (m["name"], m["birth_date"]) for m in seen["members"]} == {
        nik: (m["name"], m["birth_date"]) for nik, m in given.items()
    }
    assert seen["required_documents"] == [
        {"name": "KTP", "missing": False},
        {"name": "KK", "missing": True},
    ]
    assert seen["missing_documents"] == ["KK"]

    [logged] = await reads_of(intake, answer["household_id"])
    assert logged["role"] == "agency" and logged["program_code"] == "PKH"
    assert logged["referral_id"] == str(referral_id) and logged["purpose"] == "verifikasi lapangan"

    # at rest: NIK, KK, address and contact sealed, never in the clear; none of them on
    # intake.submitted (the contact travels only to notifications, on intake.contacts)
    stored = " ".join(
        str(r) for r in await intake.rows("SELECT h.kk_number, h.address FROM households h")
    )
    stored += " ".join(str(r) for r in await intake.rows("SELECT nik, name FROM members"))
    stored += " ".join(str(r) for r in await intake.rows("SELECT contact FROM intakes"))
    published = " ".join(
        str(r) for r in await intake.rows(f"SELECT payload FROM outbox WHERE topic = '{SUBMITTED}'")
    )
    for secret in (body["household"]["kk_number"], ADDRESS, body["contact"]["email"], *given):
        assert secret not in stored and secret not in published


async def test_the_agency_is_told_why_when_the_referral_is_closed_or_not_consented(
    intake: IntakeService,
) -> None:
    await know_programs(intake)
    answer, referral_id, _ = await referred(intake, a_family(), "PKH")
    await tell(intake, answer, referral_id, "PKH", ReferralStatus.rejected, later=timedelta(1))
    pkh = bearer("agency", programs=["PKH"])
    status, problem = await read(intake, referral_id, pkh)
    assert status == 403 and "sudah ditolak" in problem["detail"], problem
    assert problem["type"].endswith("/referral-closed")
    status, _seen = await read(intake, referral_id, intake.token())  # the Puskesos still may
    assert status == 200

    # consent to PBI-JK only: PKH's agency reads nothing, even while its referral is open
    answer, referral_id, _ = await referred(intake, a_family(recipients=["PBI-JK"]), "PKH")
    status, problem = await read(intake, referral_id, pkh)
    assert status == 403 and "persetujuan warga tidak mencakup program PKH" in problem["detail"]
    assert await reads_of(intake, answer["household_id"]) == []  # a refusal read nothing

    # who may not see the referral at all learns nothing of it
    for headers in (
        bearer("agency", programs=["PBI-JK"]),
        bearer("agency", programs=["PKH"], regions=["33.04.05.2001"]),
        bearer("operator", regions=["31"]),
    ):
        status, _problem = await read(intake, referral_id, headers)
        assert status == 404
    r = await intake.http.get(f"/v1/referrals/{referral_id}/household", headers=pkh)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "purpose"

    # the log: the region's operator audits it, another region's sees none, agencies cannot
    r = await intake.http.get("/v1/identity-reads", headers=intake.token(regions=["31"]))
    assert r.status_code == 200 and r.json()["items"] == []
    r = await intake.http.get("/v1/identity-reads", headers=pkh)
    assert r.status_code == 403


async def test_a_referral_is_read_by_its_reference_however_it_is_typed(
    intake: IntakeService,
) -> None:
    await know_programs(intake)
    answer, referral_id, reference = await referred(intake, a_family(), "PKH")
    pkh = bearer("agency", programs=["PKH"])
    sloppy = reference.lower().replace("-", " ").replace("0", "o")
    r = await intake.http.get(
        f"/v1/referrals/by-reference/{sloppy}/household",
        params={"purpose": "telepon warga"},
        headers=pkh,
    )
    assert r.status_code == 200, r.text
    assert r.json()["referral_id"] == str(referral_id) and r.json()["reference"] == reference
    [logged] = await reads_of(intake, answer["household_id"])
    assert logged["referral_id"] == str(referral_id) and logged["purpose"] == "telepon warga"

    r = await intake.http.get(
        "/v1/referrals/by-reference/RJK-3304-ZZZZZZ/household",
        params={"purpose": "telepon warga"},
        headers=pkh,
    )
    assert r.status_code == 404
    r = await intake.http.get(
        "/v1/referrals/by-reference/bukan-rujukan/household",
        params={"purpose": "telepon warga"},
        headers=pkh,
    )
    assert r.status_code == 422 and "bukan nomor rujukan" in r.json()["errors"][0]["reason"]

    # the intake's own view shows each referral's reference
    r = await intake.http.get(f"/v1/intakes/{answer['intake_id']}", headers=intake.token())
    assert [(x["referral_id"], x["reference"]) for x in r.json()["referrals"]] == [
        (str(referral_id), reference)
    ]


async def test_a_status_event_without_a_reference_is_given_the_one_the_router_stores(
    intake: IntakeService,
) -> None:
    r = await intake.http.post("/v1/intakes", json=a_family(), headers=intake.token())
    answer = r.json()
    referral_id = uuid.uuid4()
    await tell(intake, answer, referral_id, "PKH", ReferralStatus.delivered)  # an older router
    [row] = await intake.rows("SELECT reference FROM intake_referrals")
    assert row.reference == referral_reference(referral_id, VILLAGE)


async def test_an_older_publication_never_overwrites_a_newer_one(intake: IntakeService) -> None:
    (pkh,) = [p for p in load_seed_programs(RegistrySettings().seed_dir) if p.code == "PKH"]
    # published "in the future": whatever the catalogue job applies from the shared test broker
    # meanwhile is older
    ahead = datetime.now(UTC) + timedelta(days=365)
    newer = published_event(pkh).model_copy(
        update={"required_documents": ["KTP", "KK", "KIS"], "published_at": ahead}
    )
    older = newer.model_copy(
        update={"required_documents": ["KTP"], "published_at": newer.published_at - timedelta(1)}
    )
    for event in (newer, older):
        await intake.runtime.handle(event)
    [row] = await intake.rows("SELECT required_documents FROM intake_programs WHERE code = 'PKH'")
    assert row.required_documents == ["KTP", "KK", "KIS"]


async def test_the_migration_gives_mirrored_referrals_their_reference(
    servers: Servers, fresh_database: str
) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(definition.migrations))
    cfg.set_main_option("sqlalchemy.url", f"{servers.pg_url}/{fresh_database}")
    cfg.attributes["metadata"] = definition.metadata
    await asyncio.to_thread(command.upgrade, cfg, "0007")
    household, intake_id, referral_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(f"{servers.pg_dsn}/{fresh_database}")
    try:
        await conn.execute(
            "INSERT INTO households (id, kk_hash, village_code) VALUES ($1, 'h', $2)",
            household,
            VILLAGE,
        )
        await conn.execute(
            "INSERT INTO intakes (id, household_id, principal, village_code, needs,"
            " priority_lanes, registry, consent, taken_by, request_hash) VALUES"
            " ($1, $2, 'op', $3, '{}', '{}', '{}', '{}', '{}', 'r')",
            intake_id,
            household,
            VILLAGE,
        )
        await conn.execute(
            "INSERT INTO intake_referrals VALUES ($1, $2, 'PKH', 'delivered', NULL, now())",
            referral_id,
            intake_id,
        )
        await asyncio.to_thread(command.upgrade, cfg, "0008")
        stored = await conn.fetchval("SELECT reference FROM intake_referrals")
    finally:
        await conn.close()
    assert stored == referral_reference(referral_id, VILLAGE)
