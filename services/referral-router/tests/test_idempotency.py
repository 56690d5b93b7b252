"""An outcome's Idempotency-Key names one report: the same report again is answered as before,
another report under that key is refused (422) and changes nothing."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import text

from rujukan_contracts.events import OutcomeKind, ReasonCode
from rujukan_platform.idempotency import fingerprint
from rujukan_router.domain.commands import ReportOutcome
from rujukan_router.entrypoints.api import OutcomeIn

from .conftest import MakeIntake

MISMATCH = "https://rujukan.example/problems/idempotency-key-mismatch"


def test_the_fingerprint_covers_the_whole_outcome_body() -> None:
    # a field added to the body must be added to the fingerprint too
    assert set(OutcomeIn.model_fields) == {"outcome", "reason_code", "note", "public_note"}
    body = OutcomeIn(outcome=OutcomeKind.rejected, reason_code=ReasonCode.other, note="x")
    digest = outcome_fingerprint(OutcomeKind.rejected, ReasonCode.other, "x")
    # without a public note, the body's fingerprint is the one stored before there was one
    assert digest == fingerprint(body.model_dump(mode="json", exclude={"public_note"}))
    assert digest != outcome_fingerprint(OutcomeKind.rejected, ReasonCode.other, "y")
    assert digest != outcome_fingerprint(OutcomeKind.rejected, ReasonCode.other, None)
    public = body.model_copy(update={"public_note": "Datang ke Puskesos"})
    report = ReportOutcome(
        uuid4(),
        OutcomeKind.rejected,
        ReasonCode.other,
        "x",
        "agency:test",
        public_note="Datang ke Puskesos",
    )
    assert report.fingerprint == fingerprint(public.model_dump(mode="json"))
    assert report.fingerprint != digest


def outcome_fingerprint(outcome: OutcomeKind, reason: ReasonCode | None, note: str | None) -> str:
    """The fingerprint the router stores with a report's Idempotency-Key."""
    report = ReportOutcome(uuid4(), outcome, reason, note, actor="agency:test")
    return report.fingerprint


async def state_of(api: Any, referral_id: Any) -> tuple[Any, ...]:
    """Everything an outcome may change: the referral, its history and its staged events."""
    referral = await api.rows(
        "SELECT status, reason_code, updated_at FROM referrals WHERE id = :r", r=referral_id
    )
    history = await api.rows(
        "SELECT seq, to_status, reason_code, note, idempotency_key, request_hash"
        " FROM referral_history WHERE referral_id = :r ORDER BY seq",
        r=referral_id,
    )
    outbox = await api.rows("SELECT seq FROM outbox ORDER BY seq")
    return tuple(referral), tuple(history), tuple(outbox)


def assert_mismatch(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == MISMATCH and problem["type"].endswith("idempotency-key-mismatch")
    assert problem["title"].startswith("Idempotency-Key dipakai untuk permintaan lain")
    assert problem["detail"].startswith("Idempotency-Key ini sudah dipakai")
    assert problem["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.integration
async def test_an_outcome_key_means_one_report(api: Any, make_intake: MakeIntake) -> None:
    ids = await api.route(make_intake())
    pbi = ids["PBI-JK"]
    agency = {**api.token("agency", programs=["PBI-JK"]), "Idempotency-Key": "answer-1"}
    url = f"/v1/referrals/{pbi}/outcome"
    body = {"outcome": "accepted", "note": "KIS diproses"}

    first = await api.client.post(url, json=body, headers=agency)
    assert first.status_code == 200, first.text
    stored = await state_of(api, pbi)
    [_created, accepted] = stored[1]
    assert accepted.idempotency_key == "answer-1"
    assert accepted.request_hash == outcome_fingerprint(OutcomeKind.accepted, None, "KIS diproses")

    # the same report again, its fields in another order: the same answer, nothing new
    again = await api.client.post(url, json=dict(reversed(body.items())), headers=agency)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert await state_of(api, pbi) == stored

    # another report under that key: refused, nothing stored or staged
    for other in (
        {"outcome": "rejected", "reason_code": "lack_of_capacity"},
        {"outcome": "accepted", "note": "KIS sudah terbit"},
        {"outcome": "accepted"},
        {"outcome": "in_service", "note": "KIS diproses"},
    ):
        assert_mismatch(await api.client.post(url, json=other, headers=agency))
        assert await state_of(api, pbi) == stored

    # the key is the referral's: on another referral it is another report
    pkh = ids["PKH"]
    pkh_agency = {**api.token("agency", programs=["PKH"]), "Idempotency-Key": "answer-1"}
    r = await api.client.post(
        f"/v1/referrals/{pkh}/outcome", json={"outcome": "received"}, headers=pkh_agency
    )
    assert r.status_code == 200 and r.json()["status"] == "received", r.text


@pytest.mark.integration
async def test_a_key_stored_before_fingerprints_is_compared_by_its_recorded_report(
    api: Any, make_intake: MakeIntake
) -> None:
    pbi = (await api.route(make_intake()))["PBI-JK"]
    agency = {**api.token("agency", programs=["PBI-JK"]), "Idempotency-Key": "old-answer"}
    url = f"/v1/referrals/{pbi}/outcome"
    body = {"outcome": "received", "note": "berkas lengkap"}
    assert (await api.client.post(url, json=body, headers=agency)).status_code == 200
    async with api.runtime.sessions() as session, session.begin():  # as migration 0006 left it
        await session.execute(text("UPDATE referral_history SET request_hash = NULL"))
    stored = await state_of(api, pbi)

    again = await api.client.post(url, json=body, headers=agency)
    assert again.status_code == 200 and again.json()["status"] == "received", again.text
    for other in ({"outcome": "received"}, {"outcome": "accepted", "note": "berkas lengkap"}):
        assert_mismatch(await api.client.post(url, json=other, headers=agency))
    assert await state_of(api, pbi) == stored
