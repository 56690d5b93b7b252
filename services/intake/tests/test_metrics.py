"""Intake counts what it recorded and what it refused."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from rujukan_intake.domain.intake import EXAMPLE_INTAKE

from .conftest import IntakeService

pytestmark = pytest.mark.integration


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_recorded_and_refused_intakes_are_counted(intake: IntakeService) -> None:
    recorded = value("rujukan_intake_intakes_total", province="33", kind="need")
    refused = value("rujukan_intake_refused_total", status="422")
    r = await intake.http.post("/v1/intakes", json=EXAMPLE_INTAKE, headers=intake.token())
    assert r.status_code == 202
    r = await intake.http.post("/v1/intakes", json=EXAMPLE_INTAKE, headers=intake.token())
    assert r.json()["duplicate"] is True  # a duplicate is not a new intake
    bad = {**EXAMPLE_INTAKE, "consent": None}
    assert (
        await intake.http.post("/v1/intakes", json=bad, headers=intake.token())
    ).status_code == 422
    assert value("rujukan_intake_intakes_total", province="33", kind="need") == recorded + 1
    assert value("rujukan_intake_refused_total", status="422") == refused + 1
