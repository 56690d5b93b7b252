"""The router's hand-written event JSON is exactly the contract (pure logic, no servers).

``adapters/events.py`` serialises without the pydantic models for speed; these tests hold it to
the models: every field present, every value valid, nothing extra."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson

from rujukan_contracts.events import (
    IntakeSubmittedV1,
    ReferralCreatedV1,
    ReferralStatusChangedV1,
)
from rujukan_contracts.topics import REFERRALS_STATUS
from rujukan_platform.outbox import OutboxEvent, follow_up, follow_up_id
from rujukan_router.adapters.events import delivered_record, status_record
from rujukan_router.adapters.referrals import ReferralRef
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import decide
from rujukan_router.service_layer.referrals import NewReferrals, explained

NOW = datetime(2026, 12, 1, 8, 30, 15, 123456, tzinfo=UTC)


def test_a_referral_and_its_created_status_are_the_contracts_events(
    catalogue: Catalogue, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    intake = make_intake()
    decided = decide(intake, catalogue, open_programs=set(), as_of=NOW.date())
    pkh = decided.get("PKH")
    assert pkh is not None and pkh.eligible
    new = NewReferrals()
    decision_id = uuid.uuid4()
    referral = new.add(
        intake, pkh.program, explained(pkh, decided.facts, NOW), decision_id, NOW,
        kind="need", rank=pkh.rank, traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )  # fmt: skip
    created_row, status_row = new.events
    assert [r.id for r in new.rows] == [h.referral_id for h in new.history] == [referral.id]
    assert created_row[5] == "referrals.PKH" and status_row[5] == REFERRALS_STATUS
    # the agency's record keyed by its referral, the status by the visit (one partition a visit)
    assert created_row[2] == str(referral.id) and status_row[2] == str(intake.intake_id)
    assert status_row[2] == ReferralStatusChangedV1.model_validate_json(status_row[4]).key()
    assert created_row[6].split("-")[1] == "a" * 32  # the intake's trace goes on

    payload = orjson.loads(created_row[4])
    assert set(payload) == set(ReferralCreatedV1.model_fields)
    event = ReferralCreatedV1.model_validate_json(created_row[4])
    assert event.referral_id == referral.id and event.program_version == 2
    assert event.consent == intake.consent and event.due_at == NOW + timedelta(days=2)
    assert [c.model_dump() for c in event.decision.criteria] == [
        c.to_dict() for c in pkh.criteria(decided.facts)
    ]
    assert orjson.loads(event.model_dump_json()) == payload  # byte for byte the model's JSON

    status = ReferralStatusChangedV1.model_validate_json(status_row[4])
    assert set(orjson.loads(status_row[4])) == set(ReferralStatusChangedV1.model_fields)
    assert (status.from_status, status.to_status) == (None, "created")
    assert status.referral_id == referral.id and status.due_at == referral.due_at
    assert orjson.loads(status.model_dump_json()) == orjson.loads(status_row[4])


def test_status_changes_and_delivery_follow_ups_are_the_contracts_events() -> None:
    row = ReferralRef(
        id=uuid.uuid4(), intake_id=uuid.uuid4(), household_id=uuid.uuid4(),
        program_code="PKH", village_code="33.04.01.2001",
        due_at=NOW + timedelta(days=5), escalation_level=2,
    )  # fmt: skip
    record = status_record(
        row, to_status="rejected", from_status="received", at=NOW,
        reason_code="lack_of_capacity", note="Kuota penuh",
    )  # fmt: skip
    event = ReferralStatusChangedV1.model_validate_json(record[4])
    assert event.reason_code == "lack_of_capacity" and event.escalation_level == 2
    assert orjson.loads(event.model_dump_json()) == orjson.loads(record[4])

    created = OutboxEvent(
        seq=1, id=str(uuid.uuid4()), topic="referrals.PKH", aggregateid=str(row.id),
        type=ReferralCreatedV1.ce_type, payload="{}",
        traceparent="00-" + "c" * 32 + "-" + "d" * 16 + "-01", created_at=NOW,
    )  # fmt: skip
    sent = follow_up(delivered_record(row, created=created, at=NOW))  # as the relay sends it
    assert sent.id == follow_up_id(created.id, "delivered")  # the same on a republication
    assert sent.topic == REFERRALS_STATUS and sent.aggregateid == str(row.intake_id)
    assert sent.traceparent.split("-")[1] == "c" * 32
    delivered = ReferralStatusChangedV1.model_validate_json(sent.payload)
    assert (delivered.from_status, delivered.to_status) == ("created", "delivered")
    assert orjson.loads(delivered.model_dump_json()) == orjson.loads(sent.payload)


def test_published_status_events_are_counted_per_series() -> None:
    from prometheus_client import REGISTRY

    from rujukan_router.metrics import observe_published

    def row(to: str, **extra: str) -> OutboxEvent:
        ref = ReferralRef(
            uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "CNT-1", "33.04.01.2001", NOW, 1
        )
        rec = status_record(ref, to_status=to, from_status="delivered", at=NOW, **extra)
        return OutboxEvent(0, str(rec[0]), rec[5], rec[2], rec[3], rec[4], rec[6], rec[7])

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    series = {
        "accepted": ("rujukan_router_referrals_total",
                     {"program": "CNT-1", "status": "accepted", "province": "33"}),
        "breaches": ("rujukan_router_sla_breaches_total", {"program": "CNT-1"}),
        "escalations": ("rujukan_router_escalations_total",
                        {"program": "CNT-1", "escalated_to": "agency_supervisor"}),
    }  # fmt: skip
    before = {k: value(name, **labels) for k, (name, labels) in series.items()}
    observe_published(
        [row("accepted"), row("accepted"), row("expired"),
         row("delivered", escalated_to="agency_supervisor")]
    )  # fmt: skip
    after = {k: value(name, **labels) for k, (name, labels) in series.items()}
    assert after["accepted"] == before["accepted"] + 2
    assert after["breaches"] == before["breaches"] + 2  # the expiry and the escalation
    assert after["escalations"] == before["escalations"] + 1
