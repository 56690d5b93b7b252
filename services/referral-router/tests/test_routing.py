"""Routing intakes and applying outcomes through the real consumers, database, relay and broker."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import (
    IntakeSubmittedV1,
    OutcomeKind,
    ReasonCode,
    ReferralCreatedV1,
    ReferralOutcomeV1,
    ReferralStatusChangedV1,
)
from rujukan_platform.outbox import follow_up_id
from rujukan_router.domain.decide import decide

from .conftest import MakeIntake

pytestmark = pytest.mark.integration


def header(record: Any, name: str) -> str:
    return dict(record.headers)[name].decode()


async def referrals_of(router: Any, intake_id: uuid.UUID) -> dict[str, Any]:
    rows = await router.rows(
        "SELECT * FROM referrals WHERE intake_id = :i ORDER BY program_code", i=intake_id
    )
    return {r.program_code: r for r in rows}


async def decision_of(router: Any, intake_id: uuid.UUID) -> dict[str, Any]:
    """The program entries of an intake's (only) stored decision, by program code."""
    [row] = await router.rows(
        "SELECT facts, programs FROM decisions WHERE intake_id = :i", i=intake_id
    )
    return {p["program_code"]: p for p in row.programs}


async def history_of(router: Any, referral_id: uuid.UUID) -> list[tuple[str | None, str]]:
    rows = await router.rows(
        "SELECT from_status, to_status FROM referral_history WHERE referral_id = :r ORDER BY seq",
        r=referral_id,
    )
    return [(r.from_status, r.to_status) for r in rows]


async def test_an_intake_becomes_one_referral_per_program_serving_its_needs_on_kafka(
    router: Any, make_intake: MakeIntake, read_records: Any
) -> None:
    topic = await router.new_topic("intake.submitted")
    consumer = await router.run_consumer("router-intakes", topic)
    intake = make_intake()
    expected = decide(
        intake, router.state.catalogue, open_programs=set(), as_of=datetime.now(UTC).date()
    )
    eligible = {d.program.code for d in expected.chosen()}  # eligible and serving a need
    assert {"PKH", "PBI-JK"} <= eligible and "DTKS-IN" not in eligible

    meta = await router.publish(topic, intake)
    await consumer.drain()

    referrals = await referrals_of(router, intake.intake_id)
    assert set(referrals) == eligible
    assert all(r.status == "created" for r in referrals.values())
    assert all(r.household_id == intake.household_id for r in referrals.values())
    assert sorted(r.rank for r in referrals.values()) == list(range(1, len(eligible) + 1))
    pkh = referrals["PKH"]
    assert pkh.program_version == 2
    assert pkh.village_code == intake.village_code and pkh.kind == "need"

    # one decision for the intake: the facts once, every program's verdict and version
    [stored] = await router.rows(
        "SELECT id, cause, facts, programs FROM decisions WHERE intake_id = :i",
        i=intake.intake_id,
    )
    assert stored.cause == "routing" and {r.decision_id for r in referrals.values()} == {stored.id}
    assert stored.facts == expected.facts
    entries = {p["program_code"]: p for p in stored.programs}
    assert set(entries) == {d.program.code for d in expected.programs}
    assert {c for c, p in entries.items() if p["outcome"] == "referred"} == eligible
    dtks = entries["DTKS-IN"]
    assert dtks["passed"] == [False] and not dtks["eligible"] and dtks["program_version"] == 1
    assert entries["PKH"]["program_version"] == 2 and entries["PKH"]["rank"] == pkh.rank

    # two outbox rows per referral: the referral on its program topic, 'created' on status
    outbox = await router.rows("SELECT topic, type, aggregateid FROM outbox ORDER BY seq")
    assert sorted(o.topic for o in outbox if o.type == ReferralCreatedV1.ce_type) == sorted(
        f"referrals.{c}" for c in eligible
    )
    assert sum(o.topic == "referrals.status" for o in outbox) == len(eligible)
    for code in referrals:
        assert await history_of(router, referrals[code].id) == [(None, "created")]

    # The relay publishes them; its after-publish hook marks the referrals 'delivered', and the
    # relay publishes their 'delivered' status events before it commits.
    sent = await router.relay_all()
    assert sent == 2 * len(eligible)
    assert await router.scalar("SELECT count(*) FROM outbox") == 0
    referrals = await referrals_of(router, intake.intake_id)
    assert {r.status for r in referrals.values()} == {"delivered"}
    for row in referrals.values():
        assert await history_of(router, row.id) == [(None, "created"), ("created", "delivered")]

    pkh_id = str(pkh.id)
    [record] = await read_records("referrals.PKH", lambda r: r.key.decode() == pkh_id, count=1)
    ce = EventMeta.from_headers(record.headers)
    assert ce.type == ReferralCreatedV1.ce_type and ce.source == "/rujukan/referral-router"
    assert ce.subject == pkh_id and header(record, "content-type") == "application/json"
    assert ce.traceparent.split("-")[1] == meta.traceparent.split("-")[1]  # same trace
    created = ReferralCreatedV1.model_validate_json(record.value)
    assert created.referral_id == pkh.id and created.intake_id == intake.intake_id
    assert created.program_version == 2 and created.decision.eligible
    assert created.consent == intake.consent
    # the agency reads the explanation: every criterion with the values it read
    explained = {c.name: c for c in created.decision.criteria}
    assert explained["registry_decile_1_to_4"].values == {
        "registry.found": True,
        "registry.decile": 2,
    }
    assert explained["pregnant_woman"].passed and explained["pregnant_woman"].label

    # every status of the visit's referrals under the intake's key: one partition, one reader
    visit = await read_records(
        "referrals.status",
        lambda r: r.key.decode() == str(intake.intake_id),
        count=2 * len(eligible),
    )
    told = [ReferralStatusChangedV1.model_validate_json(r.value) for r in visit]
    assert {s.program_code for s in told} == set(eligible)
    assert {s.referral_id for s in told} == {r.id for r in referrals.values()}
    statuses = [r for r in visit if json.loads(r.value)["referral_id"] == pkh_id]
    events = [ReferralStatusChangedV1.model_validate_json(r.value) for r in statuses]
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "created"),
        ("created", "delivered"),
    ]
    assert all(header(r, "ce_type") == ReferralStatusChangedV1.ce_type for r in statuses)
    # 'delivered' continues the trace and has a ce_id of its own, derived from its cause
    delivered = EventMeta.from_headers(statuses[1].headers)
    assert delivered.traceparent.split("-")[1] == meta.traceparent.split("-")[1]
    assert str(delivered.id) == follow_up_id(str(ce.id), "delivered")
    assert all(e.intake_id == intake.intake_id and e.program_code == "PKH" for e in events)


async def test_redelivered_and_repeated_intakes_never_duplicate_referrals(
    router: Any, make_intake: MakeIntake
) -> None:
    topic = await router.new_topic("intake.submitted")
    consumer = await router.run_consumer("router-intakes", topic)
    intake = make_intake()
    meta = await router.publish(topic, intake)
    await consumer.drain()
    referrals = await referrals_of(router, intake.intake_id)
    assert {"PKH", "PBI-JK"} <= set(referrals)

    async def counts() -> tuple[int, int, int, int]:
        return (
            await router.scalar("SELECT count(*) FROM referrals"),
            await router.scalar("SELECT count(*) FROM decisions"),
            await router.scalar("SELECT count(*) FROM referral_history"),
            await router.scalar("SELECT count(*) FROM outbox"),
        )

    before = await counts()
    assert before[0] == len(referrals)

    # The very same event again (same ce_id), as after a crash before the offset commit.
    await router.publish(topic, intake, meta=meta)
    await consumer.drain()
    assert await counts() == before

    # The same intake republished under a new event id (a producer retry): no second effect.
    await router.publish(topic, intake)
    await consumer.drain()
    assert await counts() == before

    # A new intake of the same household while its referrals are open: a decision, no referral.
    again = intake.model_copy(update={"intake_id": uuid.uuid4()})
    await router.publish(topic, again)
    await consumer.drain()
    after = await counts()
    assert after[0] == before[0] and after[2] == before[2] and after[3] == before[3]
    assert await referrals_of(router, again.intake_id) == {}
    decisions = await decision_of(router, again.intake_id)
    for code in referrals:
        assert decisions[code]["skipped"] == "open_referral" and not decisions[code]["eligible"]
    assert decisions["DTKS-IN"]["skipped"] is None
    assert after[1] == before[1] + 1

    # Once a referral is closed, the next intake may refer the household there again.
    async with router.runtime.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE referrals SET status = 'rejected', reason_code = 'other' WHERE id = :r"),
            {"r": referrals["PBI-JK"].id},
        )
    third = intake.model_copy(update={"intake_id": uuid.uuid4()})
    await router.publish(topic, third)
    await consumer.drain()
    assert set(await referrals_of(router, third.intake_id)) == {"PBI-JK"}


async def test_unreadable_messages_go_to_the_dlq_and_the_consumer_carries_on(
    router: Any, make_intake: MakeIntake, read_records: Any
) -> None:
    topic = await router.new_topic("intake.submitted")
    consumer = await router.run_consumer("router-intakes", topic)
    malformed = EventMeta(type=IntakeSubmittedV1.ce_type, source="/rujukan/test", subject="x")
    await router.publish(topic, meta=malformed, value=b'{"intake_id": "not-a-uuid"')
    unknown = EventMeta(type="rujukan.intake.withdrawn.v9", source="/rujukan/test", subject="y")
    await router.publish(topic, meta=unknown, value=b"{}")
    await router.publish(topic, value=b"no headers at all")
    invalid = make_intake().model_dump(mode="json")
    invalid["village_code"] = 33  # wrong type
    invalid.pop("consent")
    await router.publish(
        topic,
        meta=EventMeta(type=IntakeSubmittedV1.ce_type, source="/rujukan/test", subject="z"),
        value=json.dumps(invalid).encode(),
    )
    good = make_intake()
    await router.publish(topic, good)
    await consumer.drain()

    assert {"PKH", "PBI-JK"} <= set(await referrals_of(router, good.intake_id))
    assert await router.scalar("SELECT count(*) FROM referrals") == len(
        await referrals_of(router, good.intake_id)
    )
    dead = await read_records(f"{topic}.dlq", lambda _r: True, count=4)
    assert len(dead) == 4
    reasons = [header(r, "dlq_reason") for r in dead]
    assert reasons[0].startswith("invalid rujukan.intake.submitted.v1")
    assert "no handler for event type 'rujukan.intake.withdrawn.v9'" in reasons[1]
    assert "missing CloudEvents attributes (headers)" in reasons[2]
    assert reasons[3].startswith("invalid rujukan.intake.submitted.v1")
    assert [r.value for r in dead[:3]] == [
        b'{"intake_id": "not-a-uuid"',
        b"{}",
        b"no headers at all",
    ]
    assert header(dead[0], "ce_id") == str(malformed.id)
    assert all(header(r, "dlq_source_topic") == topic for r in dead)
    assert all(header(r, "dlq_consumer") == "router-intakes" for r in dead)
    assert [int(header(r, "dlq_source_offset")) for r in dead] == [0, 1, 2, 3]


def outcome(
    referral_id: uuid.UUID,
    program_code: str,
    kind: OutcomeKind,
    reason: ReasonCode | None = None,
) -> ReferralOutcomeV1:
    return ReferralOutcomeV1(
        referral_id=referral_id,
        program_code=program_code,
        outcome=kind,
        reason_code=reason,
        reported_at=datetime.now(UTC),
        reported_by=f"agency:{program_code}",
    )


async def test_outcomes_move_referrals_and_impossible_ones_are_dead_lettered(
    router: Any, make_intake: MakeIntake, read_records: Any
) -> None:
    """Each program's outcomes on its own topic (the broker lets only its agency write it): the
    topic says who reported, and no record carries a credential."""
    intake = make_intake()
    delivered = await router.delivered(intake, "PBI-JK", "PKH")  # both 'delivered'
    pbi_topic, pkh_topic = delivered.outcomes["PBI-JK"], delivered.outcomes["PKH"]
    outcome_consumer = delivered.consumer
    pbi, pkh = delivered.referrals["PBI-JK"], delivered.referrals["PKH"]

    accepted = outcome(pbi, "PBI-JK", OutcomeKind.accepted)
    accepted_meta = await router.publish(pbi_topic, accepted)
    await outcome_consumer.drain()
    row = (await referrals_of(router, intake.intake_id))["PBI-JK"]
    assert row.status == "accepted"
    assert await history_of(router, pbi) == [
        (None, "created"),
        ("created", "delivered"),
        ("delivered", "accepted"),
    ]
    [actor] = await router.rows(
        "SELECT actor, idempotency_key FROM referral_history WHERE referral_id = :r"
        " AND to_status = 'accepted'",
        r=pbi,
    )
    assert actor.actor == "agency-pbi-jk" and actor.idempotency_key == str(accepted_meta.id)
    [staged] = await router.rows("SELECT topic, type, aggregateid, payload FROM outbox")
    assert staged.topic == "referrals.status" and staged.payload["referral_id"] == str(pbi)
    assert staged.aggregateid == staged.payload["intake_id"]  # keyed by the visit
    assert staged.payload["from_status"] == "delivered"
    assert staged.payload["to_status"] == "accepted"

    # The same outcome event again: nothing new.
    await router.publish(pbi_topic, accepted, meta=accepted_meta)
    await outcome_consumer.drain()
    assert len(await history_of(router, pbi)) == 3
    assert await router.scalar("SELECT count(*) FROM outbox") == 1

    # completed, then an impossible 'received'; PBI-JK's topic reporting on PKH's referral,
    # under either program's name; an unknown referral; then a good one on PKH's topic.
    await router.publish(pbi_topic, outcome(pbi, "PBI-JK", OutcomeKind.completed))
    impossible = await router.publish(pbi_topic, outcome(pbi, "PBI-JK", OutcomeKind.received))
    wrong_program = await router.publish(pbi_topic, outcome(pkh, "PBI-JK", OutcomeKind.accepted))
    impostor = await router.publish(pbi_topic, outcome(pkh, "PKH", OutcomeKind.accepted))
    no_such = await router.publish(pkh_topic, outcome(uuid.uuid4(), "PKH", OutcomeKind.accepted))
    await router.publish(
        pkh_topic, outcome(pkh, "PKH", OutcomeKind.rejected, ReasonCode.lack_of_capacity)
    )
    await outcome_consumer.drain()

    rows = await referrals_of(router, intake.intake_id)
    assert rows["PBI-JK"].status == "completed"
    assert rows["PKH"].status == "rejected" and rows["PKH"].reason_code == "lack_of_capacity"
    assert [h[1] for h in await history_of(router, pkh)] == ["created", "delivered", "rejected"]
    assert [h[1] for h in await history_of(router, pbi)][-1] == "completed"

    dead = await read_records(f"{pbi_topic}.dlq", lambda _r: True, count=3)
    dead += await read_records(f"{pkh_topic}.dlq", lambda _r: True, count=1)
    by_id = {header(r, "ce_id"): header(r, "dlq_reason") for r in dead}
    refused = (impossible, wrong_program, impostor, no_such)
    assert set(by_id) == {str(m.id) for m in refused}
    assert "cannot go from 'completed' to 'received'" in by_id[str(impossible.id)]
    assert "belongs to PKH, not PBI-JK" in by_id[str(wrong_program.id)]
    assert "PBI-JK's topic carries a report on PKH" in by_id[str(impostor.id)]
    assert by_id[str(no_such.id)].startswith("outcome refused")
    # the agency reads its own DLQ: in Indonesian where the router says it in both languages
    said = {header(r, "ce_id"): header(r, "dlq_reason_id") for r in dead}
    assert said[str(impossible.id)].startswith(
        "laporan hasil ditolak: tidak dapat berpindah dari 'completed' ke 'received'"
    )
    assert said[str(impostor.id)] == (
        "laporan hasil ditolak: topik PBI-JK membawa laporan tentang PKH"
    )
    assert said[str(no_such.id)].startswith("laporan hasil ditolak: rujukan ")
    assert said[str(no_such.id)].endswith(" tidak ditemukan")
    assert said[str(wrong_program.id)] == (
        f"laporan hasil ditolak: rujukan {pkh} milik PKH, bukan PBI-JK"
    )
    assert by_id[str(no_such.id)].startswith("outcome refused: no referral ")
    # only the good outcomes wrote status events
    staged = await router.rows("SELECT payload FROM outbox ORDER BY seq")
    assert [(s.payload["referral_id"], s.payload["to_status"]) for s in staged] == [
        (str(pbi), "accepted"),
        (str(pbi), "completed"),
        (str(pkh), "rejected"),
    ]
    assert staged[-1].payload["reason_code"] == "lack_of_capacity"


async def test_a_complaint_about_a_program_is_referred_to_it(
    router: Any, make_intake: MakeIntake
) -> None:
    topic = await router.new_topic("intake.submitted")
    consumer = await router.run_consumer("router-intakes", topic)
    # enrolled in PKH (so no need referral to PKH) and complaining about it
    intake = make_intake(
        registry={"enrolments": ["PKH"]},
        complaint={"kind": "complaint", "about_program": "PKH", "text": "Bantuan belum cair"},
    )
    await router.publish(topic, intake)
    await consumer.drain()
    referrals = await referrals_of(router, intake.intake_id)
    assert referrals["PKH"].kind == "complaint" and referrals["PKH"].rank == 0
    assert referrals["PBI-JK"].kind == "need"
    assert (await decision_of(router, intake.intake_id))["PKH"]["skipped"] == "already_enrolled"
    outbox = await router.rows(
        "SELECT payload FROM outbox WHERE topic = 'referrals.PKH' AND aggregateid = :r",
        r=str(referrals["PKH"].id),
    )
    assert [o.payload["kind"] for o in outbox] == ["complaint"]
    assert outbox[0].payload["decision"]["criteria"] == []


async def test_a_complaint_is_not_shared_with_a_program_the_resident_did_not_consent_to(
    router: Any, make_intake: MakeIntake
) -> None:
    """Consent is checked before anything is shared (design.md, Security): a complaint about a
    program outside the consented recipients must not create a referral to it; the village's
    complaint desk (the SLRT itself) hears it instead."""
    topic = await router.new_topic("intake.submitted")
    consumer = await router.run_consumer("router-intakes", topic)
    intake = make_intake(
        consent={"recipients": ["PBI-JK"]},
        complaint={"kind": "complaint", "about_program": "PKH", "text": "Bantuan belum cair"},
    )
    await router.publish(topic, intake)
    await consumer.drain()
    assert (await decision_of(router, intake.intake_id))["PKH"]["skipped"] == "no_consent"
    referrals = await referrals_of(router, intake.intake_id)
    assert set(referrals) == {"PBI-JK", "PENGADUAN-3304"}
    assert referrals["PENGADUAN-3304"].kind == "complaint"
    assert not await router.rows("SELECT id FROM outbox WHERE topic = 'referrals.PKH'")
