"""Router metrics count what the relay published: lifecycle changes, escalations, breaches."""

from __future__ import annotations

from types import SimpleNamespace

import orjson
from prometheus_client import REGISTRY

from rujukan_contracts.events import ReferralCreatedV1, ReferralStatusChangedV1
from rujukan_contracts.topics import REFERRALS_STATUS
from rujukan_router.metrics import observe_published


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def row(type_: str, topic: str = REFERRALS_STATUS, **payload: object) -> SimpleNamespace:
    return SimpleNamespace(type=type_, topic=topic, payload=orjson.dumps(payload).decode())


def test_published_status_changes_escalations_and_expiries_are_counted() -> None:
    labels = {"program": "MET-1", "status": "accepted", "province": "33"}
    before = value("rujukan_router_referrals_total", **labels)
    withdrawals = {**labels, "status": "withdrawn"}
    withdrawn = value("rujukan_router_referrals_total", **withdrawals)
    breaches = value("rujukan_router_sla_breaches_total", program="MET-1")
    escalations = value(
        "rujukan_router_escalations_total", program="MET-1", escalated_to="agency_supervisor"
    )
    common = {"program_code": "MET-1", "village_code": "33.04.01.2001"}
    observe_published(
        [
            row(ReferralStatusChangedV1.ce_type, to_status="accepted", **common),
            row(
                ReferralStatusChangedV1.ce_type,
                to_status="delivered",
                escalated_to="supervisor",  # written before the chain followed the agency
                **common,
            ),
            row(
                ReferralStatusChangedV1.ce_type,
                to_status="delivered",
                escalated_to="agency_supervisor",
                escalated=True,
                **common,
            ),
            row(ReferralStatusChangedV1.ce_type, to_status="expired", **common),
            row(ReferralCreatedV1.ce_type, **common),  # not a status event: not counted here
            # a withdrawal: on referrals.status and, the same change, on the program's topic
            row(ReferralStatusChangedV1.ce_type, to_status="withdrawn", **common),
            row(
                ReferralStatusChangedV1.ce_type,
                topic="referrals.MET-1",
                to_status="withdrawn",
                **common,
            ),
        ]
    )
    assert value("rujukan_router_referrals_total", **labels) == before + 1
    assert value("rujukan_router_referrals_total", **withdrawals) == withdrawn + 1
    assert (
        value("rujukan_router_escalations_total", program="MET-1", escalated_to="agency_supervisor")
        == escalations + 2
    )  # the old role is read as the level it stood for
    assert (
        value("rujukan_router_escalations_total", program="MET-1", escalated_to="supervisor") == 0
    )
    assert value("rujukan_router_sla_breaches_total", program="MET-1") == breaches + 3
    assert (
        value("rujukan_router_referrals_total", program="MET-1", status="delivered", province="33")
        == 0
    )  # an escalation is not a new status


def test_a_program_starts_with_zero_breaches_and_escalations() -> None:
    from rujukan_router.metrics import initialise

    initialise("MET-2")
    assert REGISTRY.get_sample_value("rujukan_router_sla_breaches_total", {"program": "MET-2"}) == 0
    for role in ("agency_supervisor", "program_manager", "head_of_office"):
        labels = {"program": "MET-2", "escalated_to": role}
        assert REGISTRY.get_sample_value("rujukan_router_escalations_total", labels) == 0
