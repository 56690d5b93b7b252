"""An agency's outcomes written with the CloudEvents SDK, as the spec allows: any non-empty id,
binary or structured mode. Both are applied, each once (deduplicated on source + id), through
the real consumer and broker; what cannot be read still goes to the DLQ with its reason."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings.kafka import KafkaMessage, to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from rujukan_contracts.events import OutcomeKind, ReferralOutcomeV1

from .conftest import MakeIntake
from .test_routing import header, history_of

TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def agency_event(referral_id: uuid.UUID, code: str, kind: OutcomeKind, ce_id: str) -> CloudEvent:
    """The outcome as an agency's own client builds it: its own source and id scheme."""
    data = ReferralOutcomeV1(
        referral_id=referral_id,
        program_code=code,
        outcome=kind,
        reported_at=datetime.now(UTC),
        reported_by=f"agency:{code}",
    ).model_dump(mode="json")
    attributes = {
        "type": ReferralOutcomeV1.ce_type,
        "source": f"urn:agency:{code.lower()}:case-system",
        "id": ce_id,
        "subject": str(referral_id),
        "datacontenttype": "application/json",
        "traceparent": TRACE,
    }
    return CloudEvent(attributes, data)


async def send(router: Any, topic: str, message: KafkaMessage, key: uuid.UUID) -> None:
    await router.runtime.producer.send_and_wait(
        topic, message.value, key=str(key).encode(), headers=list(message.headers.items())
    )


async def test_outcomes_in_binary_and_structured_mode_with_any_id_are_applied_once(
    router: Any, make_intake: MakeIntake, read_records: Any
) -> None:
    delivered = await router.delivered(make_intake(), "PBI-JK")
    outcomes, outcome_consumer = delivered.outcomes["PBI-JK"], delivered.consumer
    pbi = delivered.referrals["PBI-JK"]

    fmt = JSONFormat()
    received = to_binary(agency_event(pbi, "PBI-JK", OutcomeKind.received, "kasus-17/1"), fmt)
    accepted = to_structured(agency_event(pbi, "PBI-JK", OutcomeKind.accepted, "kasus-17/2"), fmt)
    assert dict(received.headers)["ce_id"] == b"kasus-17/1"  # not a UUID
    assert dict(accepted.headers)["content-type"] == b"application/cloudevents+json"
    for message in (received, accepted, received, accepted):  # each sent twice
        await send(router, outcomes, message, pbi)
    # the same id from another source is another event (here: an impossible second 'accepted')
    other_source = agency_event(pbi, "PBI-JK", OutcomeKind.accepted, "kasus-17/2")
    other_source = CloudEvent(
        {**other_source.get_attributes(), "source": "urn:agency:pbi-jk:other-system"},
        other_source.get_data(),
    )
    await send(router, outcomes, to_structured(other_source, fmt), pbi)
    # an empty id is no id (the SDK refuses to make one: written by hand), and a structured
    # event that is not JSON is no event
    completed = to_binary(agency_event(pbi, "PBI-JK", OutcomeKind.completed, "x"), fmt)
    no_id = KafkaMessage({**completed.headers, "ce_id": b""}, None, completed.value)
    await send(router, outcomes, no_id, pbi)
    await send(
        router,
        outcomes,
        KafkaMessage({"content-type": b"application/cloudevents+json"}, None, b"{not json"),
        pbi,
    )
    await outcome_consumer.drain()

    assert await history_of(router, pbi) == [
        (None, "created"),
        ("created", "delivered"),
        ("delivered", "received"),
        ("received", "accepted"),
    ]
    rows = await router.rows(
        "SELECT to_status, idempotency_key FROM referral_history WHERE referral_id = :r"
        " AND actor = 'agency-pbi-jk' ORDER BY seq",
        r=pbi,
    )
    assert len({r.idempotency_key for r in rows}) == 2  # one key per (source, id)
    # the agency's trace goes on in the status events its outcomes caused
    staged = await router.rows("SELECT payload, traceparent FROM outbox ORDER BY seq")
    assert [s.payload["to_status"] for s in staged] == ["received", "accepted"]
    assert all(s.traceparent.split("-")[1] == TRACE.split("-")[1] for s in staged)

    dead = await read_records(f"{outcomes}.dlq", lambda _r: True, count=3)
    reasons = [header(r, "dlq_reason") for r in dead]
    assert "cannot go from 'accepted' to 'accepted'" in reasons[0], reasons
    assert "missing CloudEvents attributes (headers): ce_id" in reasons[1], reasons
    assert "structured CloudEvent is not JSON" in reasons[2], reasons
    assert json.loads(dead[0].value)["id"] == "kasus-17/2"  # dead-lettered as it was written
