"""Explain, dry run and effective dates: the registry's answers about its rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from uuid import uuid4

import pytest
from aiokafka.admin import NewTopic

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import ConsentWithdrawnV1, IntakeSubmittedV1, ProgramPublishedV1
from rujukan_platform.kafka import create_topics
from rujukan_platform.testing import RunningConsumer, Servers, unique_topic
from rujukan_registry.domain.commands import PublishDueVersions
from rujukan_registry.entrypoints.consumers import consumers
from rujukan_registry.testing import program_document

from .conftest import RegistryService

pytestmark = pytest.mark.integration

EXAMPLE = IntakeSubmittedV1.model_validate_json(
    (resources.files("rujukan_contracts") / "examples" / "intake.submitted.json").read_text()
)


def intake(**registry: Any) -> IntakeSubmittedV1:
    """The contract's example household with fresh ids and the registry facts given."""
    return EXAMPLE.model_copy(
        update={
            "intake_id": uuid4(),
            "household_id": uuid4(),
            "submitted_at": datetime.now(UTC),
            "registry": EXAMPLE.registry.model_copy(update=registry),
        }
    )


def context(*, decile: int | None = 2, elderly_age: int | None = None) -> dict[str, Any]:
    members: list[dict[str, Any]] = [
        {"age": 42, "age_months": 510, "sex": "male", "relationship": "head", "working": True},
    ]
    if elderly_age is not None:
        members.append(
            {
                "age": elderly_age,
                "age_months": elderly_age * 12,
                "sex": "female",
                "relationship": "parent",
            }
        )
    registry: dict[str, Any] = {"found": decile is not None, "enrolments": [], "has_kks": True}
    if decile is not None:
        registry["decile"] = decile
    return {
        "members": members,
        "registry": registry,
        "region": {
            "province": "33",
            "district": "33.04",
            "subdistrict": "33.04.01",
            "village": "33.04.01.2001",
        },
        "needs": ["cash"],
        "household": {"size": len(members)},
    }


async def test_explain_names_every_criterion_with_its_value_and_result(
    registry: RegistryService,
) -> None:
    await registry.seed()
    r = await registry.http.post(
        "/v1/programs/PBI-JK/explain",
        json={"context": context(decile=2)},
        headers=registry.token("operator", regions=["33.04"]),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["eligible"] is True and body["serves_region"] is True
    (criterion,) = body["criteria"]
    assert criterion["passed"] is True
    assert criterion["values"] == {"registry.found": True, "registry.decile": 2}

    r = await registry.http.post(
        "/v1/programs/PBI-JK/explain",
        json={"context": context(decile=7)},
        headers=registry.token(),
    )
    assert r.json()["eligible"] is False
    assert r.json()["criteria"][0]["values"]["registry.decile"] == 7


async def test_explain_against_each_pkh_version_shows_the_changed_elderly_rule(
    registry: RegistryService,
) -> None:
    await registry.seed()
    household = context(decile=2, elderly_age=65)
    results = {}
    for version in (1, 2):
        r = await registry.http.post(
            "/v1/programs/PKH/explain",
            json={"context": household, "version": version},
            headers=registry.token(),
        )
        assert r.status_code == 200, r.text
        assert r.json()["version"] == version
        results[version] = r.json()["eligible"]
    assert results == {1: True, 2: False}  # 60+ in 2021 texts, 70+ from 2022
    r = await registry.http.post(
        "/v1/programs/PKH/explain",
        json={"context": household, "version": 9},
        headers=registry.token(),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "version"
    assert r.json()["detail"] == "version: program PKH tidak punya versi 9"


async def test_explain_a_recent_intake_by_id(registry: RegistryService) -> None:
    await registry.seed()
    known = intake(found=True, decile=2)
    await registry.runtime.handle(known)
    r = await registry.http.post(
        "/v1/programs/PKH/explain",
        json={"intake_id": str(known.intake_id)},
        headers=registry.token(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["eligible"] is True
    r = await registry.http.post(
        "/v1/programs/PKH/explain", json={"intake_id": str(uuid4())}, headers=registry.token()
    )
    assert r.status_code == 404
    r = await registry.http.post("/v1/programs/PKH/explain", json={}, headers=registry.token())
    assert r.status_code == 422
    assert "tepat satu dari 'context' atau 'intake_id'" in r.json()["detail"]
    r = await registry.http.post(
        "/v1/programs/PKH/explain", json={}, headers={**registry.token(), "Accept-Language": "en"}
    )
    assert "exactly one of 'context' or 'intake_id'" in r.json()["detail"]


async def test_dry_run_counts_who_a_draft_would_newly_include_or_exclude(
    registry: RegistryService,
) -> None:
    await registry.seed()
    low, border, unregistered = (
        intake(found=True, decile=2),
        intake(found=True, decile=4),
        intake(found=False, decile=None),
    )
    for i in (low, border, unregistered):
        await registry.runtime.handle(i)
    stricter = {
        "kind": "criterion",
        "name": "decile_1_to_2",
        "label": "Decile ≤ 2",
        "cel": "registry.found && registry.decile <= 2",
    }
    r = await registry.http.post(
        "/v1/programs/PBI-JK/dry-run",
        json={"rule": stricter, "days": 30},
        headers=registry.token(),
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["intakes_evaluated"] == 3
    assert (report["eligible_now"], report["eligible_with_draft"]) == (2, 1)
    assert (report["newly_included"], report["newly_excluded"]) == (0, 1)
    assert report["sample_newly_excluded"] == [str(border.intake_id)]

    wider = {
        **stricter,
        "name": "everyone_in_need",
        "cel": "!registry.found || registry.decile <= 4",
    }
    r = await registry.http.post(
        "/v1/programs/PBI-JK/dry-run", json={"rule": wider}, headers=registry.token()
    )
    assert r.json()["newly_included"] == 1
    assert r.json()["sample_newly_included"] == [str(unregistered.intake_id)]

    broken = {**stricter, "name": "broken", "cel": "registry.decile <="}
    r = await registry.http.post(
        "/v1/programs/PBI-JK/dry-run", json={"rule": broken}, headers=registry.token()
    )
    assert r.status_code == 422 and r.json()["errors"][0]["criterion"] == "broken"
    r = await registry.http.post(
        "/v1/programs/PBI-JK/dry-run",
        json={"rule": stricter},
        headers=registry.token("operator", regions=["33"]),
    )
    assert r.status_code == 403


async def test_a_version_is_published_when_its_effective_date_arrives(
    registry: RegistryService,
) -> None:
    today = datetime.now(UTC).date()
    code = "EFF-" + uuid4().hex[:6].upper()
    body = program_document(code, cel="true", name="always")
    rule = body["versions"][0]["rule"]
    body["versions"].append(
        {"version": 2, "effective_from": str(today + timedelta(days=10)), "rule": rule}
    )
    r = await registry.http.post("/v1/programs", json=body, headers=registry.token())
    assert r.status_code == 201, r.text
    assert r.json()["current_version"] == 1

    async def published_versions() -> list[int]:
        rows = await registry.rows(
            "SELECT payload FROM outbox WHERE aggregateid = :code ORDER BY seq", code=code
        )
        return [ProgramPublishedV1.model_validate(row[0]).version for row in rows]

    assert await published_versions() == [1]
    publish = registry.runtime.handle
    assert await publish(PublishDueVersions(today)) == []
    switched = await publish(PublishDueVersions(today + timedelta(days=10)))
    assert code in switched
    assert await published_versions() == [1, 2]
    assert code not in await publish(PublishDueVersions(today + timedelta(days=11)))


async def test_the_intake_facts_consumer_remembers_intakes_once(
    registry: RegistryService, servers: Servers, topic_tail: Callable[[str], Any]
) -> None:
    """A redelivered intake is remembered once; a consent withdrawal on the same topic (the
    router's and notifications' business) is passed over, while a type nobody knows is still
    dead-lettered."""
    topic = unique_topic("intake.submitted")
    await create_topics(
        servers.kafka_bootstrap, [NewTopic(topic, 1, 1), NewTopic(f"{topic}.dlq", 1, 1)]
    )
    spec = dataclasses.replace(
        consumers(registry.runtime)[0], topics=[topic], group_id=f"g-{uuid4().hex[:8]}"
    )
    event = intake(found=True, decile=3)
    withdrawal = ConsentWithdrawnV1(
        withdrawal_id=uuid4(),
        household_id=event.household_id,
        purposes=["referral"],
        withdrawn_at=datetime.now(UTC),
        recorded_by="operator:33.04",
    )
    subject = event.key()
    unknown = EventMeta(
        type="rujukan.intake.unheard_of.v9", source="/rujukan/intake", subject=subject
    )
    meta = EventMeta(type=event.ce_type, source="/rujukan/intake", subject=subject)
    sent = [
        (event, meta),
        (event, meta),  # the second copy is a redelivery
        (withdrawal, EventMeta(type=withdrawal.ce_type, source="/rujukan/intake", subject=subject)),
        (withdrawal, unknown),  # the last: dead-lettered
    ]
    async with topic_tail(f"{topic}.dlq") as dead:
        for payload, headers in sent:
            await registry.runtime.producer.send_and_wait(
                topic,
                payload.model_dump_json().encode(),
                key=payload.key().encode(),
                headers=headers.to_headers(),
            )
        running = RunningConsumer(registry.runtime, spec)
        await running.start()
        try:
            await running.drain()
        finally:
            await running.stop()
        first_dead = (await dead.find(lambda _r: True))[0]
    assert dict(first_dead.headers)["dlq_source_offset"] == b"3"  # nothing before the unknown
    assert await registry.count("processed_events") == 1
    rows = await registry.rows("SELECT intake_id, village_code FROM intake_facts")
    assert [(r[0], r[1]) for r in rows] == [(event.intake_id, "33.04.01.2001")]
