"""Intake's referral-status consumer on a unique topic: latest change wins, redeliveries are
absorbed, and GET /v1/intakes/{id} shows each referral's status."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import ReasonCode, ReferralStatus, ReferralStatusChangedV1
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_intake.entrypoints.consumers import consumers
from rujukan_platform.consumer import ConsumerRunner
from rujukan_platform.kafka import create_topics, make_consumer
from rujukan_platform.testing import Servers, eventually, unique_topic

if TYPE_CHECKING:
    from conftest import IntakeService

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@dataclass
class StatusFeed:
    topic: str
    producer: AIOKafkaProducer
    intake_id: UUID
    household_id: UUID

    def change(
        self,
        referral_id: UUID,
        to: ReferralStatus,
        at: datetime,
        *,
        program: str = "PKH",
        reason: ReasonCode | None = None,
    ) -> ReferralStatusChangedV1:
        return ReferralStatusChangedV1(
            referral_id=referral_id,
            intake_id=self.intake_id,
            household_id=self.household_id,
            program_code=program,
            village_code="33.04.01.2001",
            from_status=None,
            to_status=to,
            reason_code=reason,
            changed_at=at,
        )

    async def send(self, event: ReferralStatusChangedV1, *, event_id: UUID | None = None) -> UUID:
        meta = EventMeta(
            type=event.ce_type,
            source="/rujukan/referral-router",
            subject=event.key(),
            id=event_id or uuid4(),
        )
        await self.producer.send_and_wait(
            self.topic,
            event.model_dump_json().encode(),
            key=event.key().encode(),
            headers=meta.to_headers(),
        )
        return meta.id


@asynccontextmanager
async def status_consumer(servers: Servers, intake: IntakeService) -> AsyncIterator[StatusFeed]:
    """The intake's own consumer spec, on a unique topic and group, run by ConsumerRunner."""
    topic = unique_topic("referrals.status")  # one partition: every event in sending order
    await create_topics(
        servers.kafka_bootstrap, [NewTopic(topic, 1, 1), NewTopic(f"{topic}.dlq", 1, 1)]
    )
    spec = next(s for s in consumers(intake.runtime) if s.name == "intake-referral-status")
    assert spec.name == "intake-referral-status" and spec.topics == ["referrals.status"]
    group = f"test-{uuid.uuid4().hex[:12]}"
    spec = dataclasses.replace(spec, topics=[topic], group_id=group)
    consumer = make_consumer(servers.kafka_bootstrap, group_id=group, client_id=group)
    await consumer.start()
    runner = ConsumerRunner(
        spec,
        consumer=consumer,
        producer=intake.runtime.producer,
        unit_of_work=intake.runtime.unit_of_work,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    r = await intake.http.post("/v1/intakes", json=EXAMPLE_INTAKE, headers=intake.token())
    assert r.status_code == 202, r.text
    feed = StatusFeed(
        topic,
        intake.runtime.producer,
        UUID(r.json()["intake_id"]),
        UUID(r.json()["household_id"]),
    )
    try:
        yield feed
    finally:
        stop.set()
        await task
        await consumer.stop()


async def processed(intake: IntakeService, event_id: UUID) -> int:
    rows = await intake.rows(
        "SELECT count(*) FROM processed_events WHERE event_id = :id", id=event_id
    )
    return int(rows[0][0])


async def referrals_of(intake: IntakeService, intake_id: UUID) -> dict[str, dict[str, Any]]:
    r = await intake.http.get(f"/v1/intakes/{intake_id}", headers=intake.token())
    assert r.status_code == 200, r.text
    return {ref["referral_id"]: ref for ref in r.json()["referrals"]}


async def test_the_intake_shows_each_referral_s_latest_status(
    servers: Servers, intake: IntakeService
) -> None:
    async with status_consumer(servers, intake) as feed:
        pkh, pbi = uuid4(), uuid4()
        await feed.send(feed.change(pkh, ReferralStatus.created, T0))
        await feed.send(feed.change(pbi, ReferralStatus.created, T0, program="PBI-JK"))
        await feed.send(feed.change(pkh, ReferralStatus.delivered, T0 + timedelta(seconds=1)))
        last = await feed.send(
            feed.change(
                pbi,
                ReferralStatus.rejected,
                T0 + timedelta(minutes=5),
                program="PBI-JK",
                reason=ReasonCode.lack_of_capacity,
            )
        )
        await eventually(lambda: processed(intake, last))

        async def settled() -> dict[str, dict[str, Any]] | None:
            refs = await referrals_of(intake, feed.intake_id)
            ok = refs.get(str(pkh), {}).get("status") == "delivered" and (
                refs.get(str(pbi), {}).get("status") == "rejected"
            )
            return refs if ok else None

        refs = await eventually(settled)
        assert len(refs) == 2
        assert refs[str(pkh)]["program_code"] == "PKH"
        assert refs[str(pbi)]["program_code"] == "PBI-JK"
        assert refs[str(pbi)]["reason_code"] == "lack_of_capacity"
        assert refs[str(pkh)]["reason_code"] is None
        assert datetime.fromisoformat(refs[str(pbi)]["changed_at"]) == T0 + timedelta(minutes=5)
        # ordered by program code
        r = await intake.http.get(f"/v1/intakes/{feed.intake_id}", headers=intake.token())
        assert [x["program_code"] for x in r.json()["referrals"]] == ["PBI-JK", "PKH"]
        # still invisible outside the operator's regions
        r = await intake.http.get(
            f"/v1/intakes/{feed.intake_id}", headers=intake.token(regions=["31"])
        )
        assert r.status_code == 404


async def test_an_older_change_arriving_late_does_not_overwrite_a_newer_one(
    servers: Servers, intake: IntakeService
) -> None:
    async with status_consumer(servers, intake) as feed:
        referral = uuid4()
        await feed.send(feed.change(referral, ReferralStatus.accepted, T0 + timedelta(hours=2)))
        late = await feed.send(
            feed.change(referral, ReferralStatus.received, T0 + timedelta(hours=1))
        )
        await eventually(lambda: processed(intake, late))  # the late one was handled...
        refs = await referrals_of(intake, feed.intake_id)
        assert refs[str(referral)]["status"] == "accepted"  # ...and changed nothing
        assert datetime.fromisoformat(refs[str(referral)]["changed_at"]) == T0 + timedelta(hours=2)

        newer = await feed.send(
            feed.change(referral, ReferralStatus.in_service, T0 + timedelta(hours=3))
        )
        await eventually(lambda: processed(intake, newer))
        refs = await referrals_of(intake, feed.intake_id)
        assert refs[str(referral)]["status"] == "in_service"


async def test_a_redelivered_event_has_no_second_effect(
    servers: Servers, intake: IntakeService
) -> None:
    async with status_consumer(servers, intake) as feed:
        referral = uuid4()
        first = feed.change(referral, ReferralStatus.received, T0)
        event_id = await feed.send(first)
        await eventually(lambda: processed(intake, event_id))

        # The same ce_id again, once as an exact copy and once with content that would change
        # the status if it were applied: both are absorbed by processed_events.
        await feed.send(first, event_id=event_id)
        tampered = feed.change(referral, ReferralStatus.completed, T0 + timedelta(days=1))
        await feed.send(tampered, event_id=event_id)
        marker = await feed.send(feed.change(uuid4(), ReferralStatus.created, T0))
        await eventually(lambda: processed(intake, marker))  # everything before it is handled

        refs = await referrals_of(intake, feed.intake_id)
        assert refs[str(referral)]["status"] == "received"
        assert datetime.fromisoformat(refs[str(referral)]["changed_at"]) == T0
        assert await processed(intake, event_id) == 1
        rows = await intake.rows(
            "SELECT count(*) FROM intake_referrals WHERE referral_id = :id", id=referral
        )
        assert rows[0][0] == 1
