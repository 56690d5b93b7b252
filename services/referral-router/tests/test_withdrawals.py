"""Withdrawals: an operator withdraws a referral (HTTP), a resident's consent withdrawn (Kafka)
withdraws the household's open referrals; the agency hears both on its own topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import (
    ConsentWithdrawnV1,
    ReferralCreatedV1,
    ReferralStatusChangedV1,
)

from .conftest import MakeIntake
from .test_routing import header

pytestmark = pytest.mark.integration

PROBLEM_JSON = "application/problem+json"
REASON = {"reason": "Keluarga pindah ke luar kabupaten", "reason_code": "services_no_longer_needed"}


async def test_an_operator_withdraws_a_referral_of_their_region_once(
    api: Any, make_intake: MakeIntake
) -> None:
    ids = await api.route(make_intake())  # village 33.04.01.2001
    pkh, pbi = ids["PKH"], ids["PBI-JK"]
    operator = api.token("operator", regions=["33.04"])
    staged_before = len(await api.rows("SELECT id FROM outbox"))

    r = await api.client.post(f"/v1/referrals/{pkh}/withdraw", json=REASON, headers=operator)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    assert r.json()["reason_code"] == "services_no_longer_needed"
    staged = await api.rows(
        "SELECT topic, type, payload FROM outbox ORDER BY seq OFFSET :n", n=staged_before
    )
    # the change on referrals.status (intake, notifications) and on the agency's own topic
    assert sorted(s.topic for s in staged) == ["referrals.PKH", "referrals.status"]
    for row in staged:
        assert row.type == ReferralStatusChangedV1.ce_type
        event = ReferralStatusChangedV1.model_validate(row.payload)
        assert (event.referral_id, event.from_status, event.to_status) == (
            pkh,
            "created",
            "withdrawn",
        )
        assert event.note == REASON["reason"] and event.public_note is None

    # the same withdrawal again: answered as it is now, nothing new
    again = await api.client.post(f"/v1/referrals/{pkh}/withdraw", json=REASON, headers=operator)
    assert again.status_code == 200 and again.json()["status"] == "withdrawn"
    assert len(await api.rows("SELECT id FROM outbox")) == staged_before + 2
    history = await api.rows(
        "SELECT to_status, note, actor FROM referral_history WHERE referral_id = :r ORDER BY seq",
        r=pkh,
    )
    assert [(h.to_status, h.note, h.actor) for h in history] == [
        ("created", None, "router"),
        ("withdrawn", REASON["reason"], "test-operator"),
    ]

    # withdrawn with other words, or closed another way: 409, in Indonesian unless asked
    other = {"reason": "Salah input oleh petugas"}
    r = await api.client.post(f"/v1/referrals/{pkh}/withdraw", json=other, headers=operator)
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM_JSON
    assert r.json()["title"] == "Rujukan sudah ditutup"
    assert r.json()["current_status"] == "withdrawn"
    agency = api.token("agency", programs=["PBI-JK"])
    rejected = {"outcome": "rejected", "reason_code": "not_eligible"}
    r = await api.client.post(f"/v1/referrals/{pbi}/outcome", json=rejected, headers=agency)
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"/v1/referrals/{pbi}/withdraw",
        json=REASON,
        headers={**operator, "Accept-Language": "en"},
    )
    assert r.status_code == 409 and r.json()["title"] == "The referral is closed"
    assert "'rejected'" in r.json()["detail"]


async def test_only_operators_of_the_referrals_region_and_admins_withdraw(
    api: Any, make_intake: MakeIntake
) -> None:
    ids = await api.route(make_intake())
    pkh = ids["PKH"]
    elsewhere = api.token("operator", regions=["35.09"])
    r = await api.client.post(f"/v1/referrals/{pkh}/withdraw", json=REASON, headers=elsewhere)
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM_JSON
    assert r.json()["detail"] == f"tidak ditemukan: rujukan {pkh}"  # as every 404 words it
    agency = api.token("agency", programs=["PKH"])
    r = await api.client.post(f"/v1/referrals/{pkh}/withdraw", json=REASON, headers=agency)
    assert r.status_code == 403
    r = await api.client.post(
        f"/v1/referrals/{pkh}/withdraw", json={"reason": ""}, headers=api.token("admin")
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    [row] = await api.rows("SELECT status FROM referrals WHERE id = :r", r=pkh)
    assert row.status == "created"

    r = await api.client.post(
        f"/v1/referrals/{pkh}/withdraw", json=REASON, headers=api.token("admin")
    )
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    r = await api.client.post(
        f"/v1/referrals/{uuid.uuid4()}/withdraw", json=REASON, headers=api.token("admin")
    )
    assert r.status_code == 404


async def test_consent_withdrawn_withdraws_the_households_open_referrals_in_offset_order(
    router: Any, make_intake: MakeIntake, read_records: Any
) -> None:
    """Intake, withdrawal and a later intake with fresh consent, in one batch: the first
    intake's referrals are withdrawn (the agency told on its topic), the later one's stand."""
    topic = await router.new_topic("intake.submitted")
    consumer = await router.run_consumer("router-intakes", topic)
    first = make_intake(submitted_at=datetime.now(UTC) - timedelta(minutes=5))
    household = first.household_id
    withdrawal = ConsentWithdrawnV1(
        withdrawal_id=uuid.uuid4(),
        household_id=household,
        purposes=["referral"],
        withdrawn_at=datetime.now(UTC) - timedelta(minutes=1),
        recorded_by="operator:33.04",
    )
    later = make_intake(household_id=str(household), submitted_at=datetime.now(UTC))
    for event in (first, withdrawal, later):
        await router.publish(topic, event)
    await consumer.drain()

    rows = await router.rows(
        "SELECT id, intake_id, program_code, status, reason_code FROM referrals"
        " WHERE household_id = :h",
        h=household,
    )
    firsts = {r.program_code: r for r in rows if r.intake_id == first.intake_id}
    assert {"PKH", "PBI-JK"} <= set(firsts)
    assert {(r.status, r.reason_code) for r in firsts.values()} == {
        ("withdrawn", "client_refused_services")
    }
    laters = {r.program_code: r.status for r in rows if r.intake_id == later.intake_id}
    assert laters == dict.fromkeys(firsts, "created")
    # the withdrawn intake no longer allows referring (no re-route, no replay on it)
    [stored] = await router.rows(
        "SELECT event FROM intakes WHERE intake_id = :i", i=first.intake_id
    )
    assert "referral" not in stored.event["consent"]["purposes"]

    await router.relay_all()
    pkh = str(firsts["PKH"].id)
    records = await read_records("referrals.PKH", lambda r: r.key.decode() == pkh, count=2)
    types = [EventMeta.from_headers(r.headers).type for r in records]
    assert types == [ReferralCreatedV1.ce_type, ReferralStatusChangedV1.ce_type]
    told = ReferralStatusChangedV1.model_validate_json(records[1].value)
    assert told.to_status == "withdrawn" and told.reason_code == "client_refused_services"
    assert told.note is not None and "Persetujuan" in told.note


async def test_repeated_foreign_or_unknown_consent_withdrawals_change_and_send_nothing_more(
    router: Any, make_intake: MakeIntake, read_records: Any
) -> None:
    """A withdrawal for a household the router never saw, one of another purpose, the same
    withdrawal recorded twice and one redelivered (as after a crash before the offset commit):
    the household's referrals are withdrawn once, the agency told once, nothing is
    dead-lettered and the consumer carries on."""
    topic = await router.new_topic("intake.submitted")
    consumer = await router.run_consumer("router-intakes", topic)
    intake = make_intake(submitted_at=datetime.now(UTC) - timedelta(minutes=5))
    household = intake.household_id

    def withdrawal(household_id: uuid.UUID, *purposes: str) -> ConsentWithdrawnV1:
        return ConsentWithdrawnV1(
            withdrawal_id=uuid.uuid4(),
            household_id=household_id,
            purposes=list(purposes),
            withdrawn_at=datetime.now(UTC) - timedelta(minutes=1),
            recorded_by="operator:33.04",
        )

    await router.publish(topic, intake)
    await router.publish(topic, withdrawal(uuid.uuid4(), "referral"))  # never seen here
    await router.publish(topic, withdrawal(household, "notification"))  # notifications' own
    first = await router.publish(topic, taken := withdrawal(household, "referral"))
    await router.publish(topic, taken, meta=first)  # redelivered: the same event again
    await router.publish(topic, withdrawal(household, "referral"))  # recorded a second time
    marker = await router.publish(topic, value=b"{not json")  # dead-lettered: the last one
    assert marker is None
    await consumer.drain()

    rows = await router.rows(
        "SELECT id, program_code, status FROM referrals WHERE household_id = :h", h=household
    )
    assert len(rows) >= 2 and {r.status for r in rows} == {"withdrawn"}
    withdrawn = await router.rows(
        "SELECT topic, aggregateid, payload->>'referral_id' AS referral_id,"
        " payload->>'intake_id' AS intake_id FROM outbox WHERE payload->>'to_status' = 'withdrawn'"
    )
    # each referral once on referrals.status (keyed by its visit) and once on its program's
    # topic (keyed by itself), no more
    assert sorted((w.referral_id, w.topic) for w in withdrawn) == sorted(
        (str(r.id), on) for r in rows for on in ("referrals.status", f"referrals.{r.program_code}")
    )
    assert all(
        w.aggregateid == (w.intake_id if w.topic == "referrals.status" else w.referral_id)
        for w in withdrawn
    )
    history = await router.rows(
        "SELECT referral_id FROM referral_history WHERE to_status = 'withdrawn'"
    )
    assert sorted(h.referral_id for h in history) == sorted(r.id for r in rows)
    [dead] = await read_records(f"{topic}.dlq", lambda _r: True, count=1)
    assert header(dead, "dlq_source_offset") == "6"  # the marker: no withdrawal before it
