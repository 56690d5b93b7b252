"""SLA escalation with a controllable clock, capacity, re-routing, replay and what-if."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import pytest
from sqlalchemy import text

from rujukan_contracts.events import (
    IntakeSubmittedV1,
    ProgramPublishedV1,
    ReferralCreatedV1,
    ReferralStatusChangedV1,
)
from rujukan_regions import WIB
from rujukan_router.domain.commands import FireDueTimers
from rujukan_router.domain.workdays import add_working_days
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork

from .conftest import ApiHarness

pytestmark = pytest.mark.integration

GRACE = timedelta(days=2)
T = TypeVar("T")


def variant(base: ProgramPublishedV1, code: str, **changes: Any) -> ProgramPublishedV1:
    return base.model_copy(update={"code": code, **changes})


def program(api: ApiHarness, code: str) -> ProgramPublishedV1:
    live = api.state.catalogue.get(code)
    assert live is not None
    return live.event


async def fire(api: ApiHarness, now: datetime) -> list[ReferralStatusChangedV1]:
    """Run the timer job at ``now``; the status events it staged, read back as the contract."""
    [(last,)] = await api.rows("SELECT coalesce(max(seq), 0) FROM outbox")
    fired = await api.runtime.handle(FireDueTimers(now, GRACE))
    staged = await api.rows("SELECT payload::text FROM outbox WHERE seq > :s ORDER BY seq", s=last)
    events = [ReferralStatusChangedV1.model_validate_json(p) for (p,) in staged]
    assert len(events) == fired
    return events


async def in_unit(api: ApiHarness, work: Callable[[RouterUnitOfWork], Awaitable[T]]) -> T:
    """``work`` in a unit of work of its own, committed."""
    uow = api.runtime.unit_of_work()
    assert isinstance(uow, RouterUnitOfWork)
    async with uow:
        done = await work(uow)
        await uow.commit()
    return done


async def referral(api: ApiHarness, referral_id: UUID) -> Any:
    (row,) = await api.rows("SELECT * FROM referrals WHERE id = :id", id=referral_id)
    return row


async def test_a_missed_deadline_escalates_up_the_chain_then_expires(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    ids = await api.route(make_intake())
    pbi = ids["PBI-JK"]
    row = await referral(api, pbi)
    assert row.escalation_level == 0
    receive_days = program(api, "PBI-JK").sla_days.receive
    assert row.due_at == add_working_days(row.created_at, receive_days, WIB)  # Banjarnegara

    assert [
        e for e in await fire(api, row.due_at - timedelta(seconds=1)) if e.referral_id == pbi
    ] == []
    now = row.due_at + timedelta(seconds=1)
    chain = []
    for _ in range(3):
        (event,) = [e for e in await fire(api, now) if e.referral_id == pbi]
        assert event.from_status == event.to_status == row.status  # escalation, not a status change
        chain.append((event.escalation_level, event.escalated_to))
        assert event.due_at == now + GRACE
        now += GRACE + timedelta(seconds=1)
    assert chain == [(1, "agency_supervisor"), (2, "program_manager"), (3, "head_of_office")]
    (expired,) = [e for e in await fire(api, now) if e.referral_id == pbi]
    assert expired.to_status == "expired" and expired.escalated_to is None
    assert [e for e in await fire(api, now + timedelta(days=30)) if e.referral_id == pbi] == []
    notes = [
        r.note
        for r in await api.rows(
            "SELECT note FROM referral_history WHERE referral_id = :id ORDER BY seq", id=pbi
        )
    ]
    assert notes[1:] == [
        "Tenggat terlewat, dieskalasi ke tingkat 1 dari 3 "
        "(escalated to agency_supervisor: deadline missed)",
        "Tenggat terlewat, dieskalasi ke tingkat 2 dari 3 "
        "(escalated to program_manager: deadline missed)",
        "Tenggat terlewat, dieskalasi ke tingkat 3 dari 3 "
        "(escalated to head_of_office: deadline missed)",
        "Kedaluwarsa, tidak ada jawaban tepat waktu (expired: no answer in time)",
    ]


async def test_timers_fire_once_with_two_replicas_at_the_same_time(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    for _ in range(5):
        await api.route(make_intake())
    due = await api.rows("SELECT count(*) FROM referrals WHERE due_at IS NOT NULL")
    now = datetime.now(UTC) + timedelta(days=30)
    [(last,)] = await api.rows("SELECT coalesce(max(seq), 0) FROM outbox")
    # two at once: what each staged cannot be told apart by outbox position, so count in all
    counts = await asyncio.gather(
        *(api.runtime.handle(FireDueTimers(now, GRACE)) for _ in range(2))
    )
    staged = await api.rows("SELECT payload::text FROM outbox WHERE seq > :s", s=last)
    fired = [ReferralStatusChangedV1.model_validate_json(p).referral_id for (p,) in staged]
    assert sum(counts) == len(fired) == due[0][0]
    assert len(set(fired)) == len(fired)  # each exactly once


async def test_an_answer_starts_the_next_step_with_a_fresh_deadline(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    ids = await api.route(make_intake())
    pbi = ids["PBI-JK"]
    await fire(api, (await referral(api, pbi)).due_at + timedelta(seconds=1))  # escalated once
    r = await api.client.post(
        f"/v1/referrals/{pbi}/outcome",
        json={"outcome": "received"},
        headers=api.token("agency", programs=["PBI-JK"]),
    )
    assert r.status_code == 200, r.text
    row = await referral(api, pbi)
    assert row.escalation_level == 0
    decide_days = program(api, "PBI-JK").sla_days.decide
    assert row.due_at == add_working_days(row.updated_at, decide_days, WIB)


async def test_overdue_referrals_can_be_listed(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    ids = await api.route(make_intake())
    async with api.runtime.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE referrals SET due_at = now() - interval '1 hour' WHERE id = :id"),
            {"id": ids["PKH"]},
        )
    r = await api.client.get(
        "/v1/referrals", params={"overdue": "true"}, headers=api.token("admin")
    )
    assert [i["referral_id"] for i in r.json()["items"]] == [str(ids["PKH"])]


async def test_a_full_program_queues_or_is_skipped_as_it_says(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    pbi = program(api, "PBI-JK")
    api.state.catalogue.put(variant(pbi, "QUEUE-1", capacity=1, when_full="queue"))
    api.state.catalogue.put(variant(pbi, "STOP-1", capacity=1, when_full="stop"))
    first = await api.route(make_intake())
    second = await api.route(make_intake())
    assert {"QUEUE-1", "STOP-1"} <= set(first)
    assert "QUEUE-1" in second and "STOP-1" not in second
    queued = await api.rows(
        "SELECT queued FROM referrals WHERE program_code = 'QUEUE-1' ORDER BY created_at"
    )
    assert [q.queued for q in queued] == [False, True]
    decisions = await api.rows("SELECT programs FROM decisions ORDER BY evaluated_at")
    stop = [next(p for p in d.programs if p["program_code"] == "STOP-1") for d in decisions]
    assert [(p["eligible"], p["skipped"]) for p in stop] == [(True, None), (False, "capacity_full")]


async def test_a_rejection_for_capacity_refers_onward_but_a_refusal_does_not(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    pbi = program(api, "PBI-JK")
    # ALT serves the same need; full at routing time, it gets no referral then.
    api.state.catalogue.put(variant(pbi, "ALT-JK", capacity=0, when_full="refer_onward"))
    ids = await api.route(make_intake())
    assert "ALT-JK" not in ids
    api.state.catalogue.put(variant(pbi, "ALT-JK", capacity=None))  # room again
    agency = api.token("agency", programs=["PBI-JK", "PKH"])
    r = await api.client.post(
        f"/v1/referrals/{ids['PBI-JK']}/outcome",
        json={"outcome": "rejected", "reason_code": "lack_of_capacity"},
        headers=agency,
    )
    assert r.status_code == 200, r.text
    onward = await api.rows(
        "SELECT program_code, rerouted_from FROM referrals WHERE rerouted_from IS NOT NULL"
    )
    assert [(o.program_code, o.rerouted_from) for o in onward] == [("ALT-JK", ids["PBI-JK"])]
    outbox = await api.rows(
        "SELECT payload FROM outbox WHERE type = :t", t=ReferralCreatedV1.ce_type
    )
    assert any(p.payload["program_code"] == "ALT-JK" for p in outbox)

    r = await api.client.post(
        f"/v1/referrals/{ids['PKH']}/outcome",
        json={"outcome": "rejected", "reason_code": "client_refused_services"},
        headers=agency,
    )
    assert r.status_code == 200
    assert len(await api.rows("SELECT 1 FROM referrals WHERE rerouted_from IS NOT NULL")) == 1


async def replay(api: ApiHarness, body: dict[str, Any], **headers: str) -> Any:
    """A replay worked through within the request (Prefer: wait), as small ones are."""
    r = await api.client.post(
        "/v1/replays",
        headers={**api.token("admin"), "Prefer": "wait=30", **headers},
        json=body,
    )
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["status"] == "done" and r.headers["location"] == f"/v1/replays/{job['replay_id']}"
    return job["report"]


async def test_replay_reports_gains_and_losses_then_applies_only_the_differences(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    intake = make_intake()
    ids = await api.route(intake)
    assert {"PKH", "PBI-JK"} <= set(ids)

    # The registry refreshed the household to decile 7: a dry run shows who loses.
    report = await replay(
        api,
        {"registry_updates": [
            {"household_id": str(intake.household_id), "decile": 7, "has_kks": True}
        ]},
    )  # fmt: skip
    assert report["intakes_evaluated"] == 1 and not report["applied"]
    assert report["losses"].get("PKH") == 1 and report["losses"].get("PBI-JK") == 1
    assert report["gains"] == {}

    # What-if: a stricter draft PBI-JK rule (decile 1 only), dry run only.
    strict = {
        "kind": "criterion",
        "name": "decile_1",
        "label": "Decile 1",
        "cel": "registry.found && registry.decile <= 1",
    }
    report = await replay(api, {"programs": ["PBI-JK"], "rule": strict})
    assert report["losses"] == {"PBI-JK": 1}
    r = await api.client.post(
        "/v1/replays",
        headers=api.token("admin"),
        json={"programs": ["PBI-JK"], "rule": strict, "apply": True},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "rule"

    # A new program appears: applying the replay refers the household to it, and only to it.
    api.state.catalogue.put(variant(program(api, "PBI-JK"), "NEW-JK"))
    before = len(await api.rows("SELECT 1 FROM outbox"))
    report = await replay(api, {"apply": True})
    assert report["gains"] == {"NEW-JK": 1} and report["referrals_created"] == 1
    created = await api.rows(
        "SELECT payload FROM outbox WHERE type = :t ORDER BY seq", t=ReferralCreatedV1.ce_type
    )
    assert created[-1].payload["program_code"] == "NEW-JK"
    assert len(await api.rows("SELECT 1 FROM outbox")) == before + 2  # created + its status
    [stored] = await api.rows("SELECT programs FROM decisions WHERE cause = 'replay'")
    assert any(p["program_code"] == "NEW-JK" and p["eligible"] for p in stored.programs)
    report = await replay(api, {"apply": True})
    assert report["gains"] == {} and report["referrals_created"] == 0  # nothing left to do
    r = await api.client.post("/v1/replays", headers=api.token("operator", regions=["33"]), json={})
    assert r.status_code == 403


async def test_a_replay_is_a_job_resumable_in_chunks_and_drafts_take_registry_updates(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    from datetime import UTC, datetime

    from rujukan_router.service_layer.replay import claim, run_chunk

    intakes = [make_intake() for _ in range(7)]
    for intake in intakes:
        await api.route(intake)
    admin = api.token("admin")

    # a draft takes registry updates in several requests, then starts
    r = await api.client.post("/v1/replays", headers=admin, json={"start": False})
    assert r.status_code == 202 and r.json()["status"] == "draft"
    replay_id = r.json()["replay_id"]
    for intake in intakes[:3]:
        r = await api.client.post(
            f"/v1/replays/{replay_id}/registry-updates",
            headers=admin,
            json=[{"household_id": str(intake.household_id), "decile": 9}],
        )
        assert r.status_code == 200 and r.json()["added"] == 1
    r = await api.client.post(f"/v1/replays/{replay_id}/start", headers=admin)
    assert r.status_code == 202 and r.json()["status"] == "pending"
    r = await api.client.post(f"/v1/replays/{replay_id}/registry-updates", headers=admin, json=[])
    assert r.status_code == 409  # started: no more updates

    # A worker works through it 2 households at a time; a second worker cannot take it while
    # the first one's lease beats; each chunk commits its progress.
    now = datetime.now(UTC)
    job = await in_unit(api, lambda uow: claim(uow, "worker-a", now))
    assert job is not None and str(job.id) == replay_id
    assert await in_unit(api, lambda uow: claim(uow, "worker-b", now)) is None
    seen = []
    more = True
    while more:
        more = await in_unit(
            api,
            lambda uow: run_chunk(uow, job, api.state.catalogue, owner="worker-a", now=now, size=2),
        )
        r = await api.client.get(f"/v1/replays/{replay_id}", headers=admin)
        seen.append(r.json()["households_evaluated"])
    assert seen == [2, 4, 6, 7] and r.json()["status"] == "done"
    report = r.json()["report"]
    assert report["intakes_evaluated"] == 7
    assert report["losses"].get("PKH") == 3  # the three refreshed to decile 9

    # a stale lease is taken over; a cancelled job stops
    r = await api.client.post("/v1/replays", headers=admin, json={})
    other = r.json()["replay_id"]
    assert await in_unit(api, lambda uow: claim(uow, "worker-a", now)) is not None
    taken = await in_unit(api, lambda uow: claim(uow, "worker-b", now + timedelta(minutes=5)))
    assert taken is not None and str(taken.id) == other
    r = await api.client.post(f"/v1/replays/{other}/cancel", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = await api.client.post(f"/v1/replays/{other}/cancel", headers=admin)
    assert r.status_code == 409
    r = await api.client.get("/v1/replays", headers=admin)
    assert [j["replay_id"] for j in r.json()["items"]] == [other, replay_id]
    r = await api.client.get(f"/v1/replays/{uuid.uuid4()}", headers=admin)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_concurrent_batches_share_capacity_without_deadlock_or_overbooking(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    pbi = program(api, "PBI-JK")
    for code in ("CAP-A", "CAP-B", "CAP-C"):
        api.state.catalogue.put(variant(pbi, code, capacity=7, when_full="stop"))
    # ten transactions at once, each taking capacity of several programs (replicas do this)
    routed = await asyncio.gather(*(api.route(make_intake()) for _ in range(10)))
    for code in ("CAP-A", "CAP-B", "CAP-C"):
        assert sum(code in r for r in routed) == 7  # exactly the capacity, never more
    used = await api.rows(
        "SELECT program_code, used FROM program_usage"
        " WHERE program_code LIKE 'CAP-%' ORDER BY program_code"
    )  # the seed catalogue's own capped programs (a village's BLT-DD) count beside them
    assert [(u.program_code, u.used) for u in used] == [("CAP-A", 7), ("CAP-B", 7), ("CAP-C", 7)]


async def test_a_replay_compares_with_what_the_rules_said_not_with_skips(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    """A re-route stores an evaluation in which the household's open programs were skipped, and
    a full program was skipped for capacity: neither is a change of eligibility."""
    pbi = program(api, "PBI-JK")
    api.state.catalogue.put(variant(pbi, "ALT-JK", capacity=0, when_full="refer_onward"))
    ids = await api.route(make_intake())
    api.state.catalogue.put(variant(pbi, "ALT-JK", capacity=None))
    r = await api.client.post(
        f"/v1/referrals/{ids['PBI-JK']}/outcome",
        json={"outcome": "rejected", "reason_code": "lack_of_capacity"},
        headers=api.token("agency", programs=["PBI-JK"]),
    )
    assert r.status_code == 200, r.text
    causes = [d.cause for d in await api.rows("SELECT cause FROM decisions ORDER BY evaluated_at")]
    assert causes == ["routing", "reroute"]
    report = await replay(api, {})
    assert report["gains"] == {} and report["losses"] == {}


def test_eligibility_before_keeps_the_last_answer_of_a_rule() -> None:
    from rujukan_router.service_layer.replay import eligibility_before

    routing = [
        {"program_code": "A", "eligible": True, "skipped": None},
        {"program_code": "B", "eligible": False, "skipped": "capacity_full"},
        {"program_code": "C", "eligible": False, "skipped": None},
        {"program_code": "D", "eligible": False, "skipped": "open_referral"},
    ]
    reroute = [
        {"program_code": "A", "eligible": False, "skipped": "open_referral"},
        {"program_code": "C", "eligible": True, "skipped": None},
    ]
    seen, before = eligibility_before([routing, reroute])
    assert seen == {"A", "B", "C", "D"}
    assert before == {"A": True, "B": True, "C": True}  # D was never evaluated
