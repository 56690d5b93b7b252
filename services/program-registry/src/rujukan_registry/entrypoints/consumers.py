"""Registry's consumer: the facts of recent intakes, for explain-by-intake and dry runs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rujukan_contracts.events import ConsentWithdrawnV1, IntakeSubmittedV1
from rujukan_contracts.topics import INTAKE_SUBMITTED
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.runtime import Runtime


def consumers(runtime: Runtime[Any]) -> list[ConsumerSpec]:
    """The intakes' facts (patient: for a rule author's dry run over recent intakes); a
    consent withdrawn (the router's and notifications' business) is passed over, not
    dead-lettered, while an event type nobody knows still is."""
    facts = runtime.consumer(
        "registry-intake-facts", [INTAKE_SUBMITTED], IntakeSubmittedV1, patient=True
    )
    return [replace(facts, passes_over=(ConsentWithdrawnV1,))]
