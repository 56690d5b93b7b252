"""The pure rules of a consent withdrawal (``domain/consent.py``): what is still given, what an
intake's consent becomes, and which recorded withdrawal answers a repeat."""

from __future__ import annotations

import copy
from typing import Any

from rujukan_intake.domain.consent import last_withdrawal, still_given, withdrawn_from

BOTH: dict[str, Any] = {"purposes": ["referral", "notification"], "recipients": ["*"]}
REFERRAL_ONLY: dict[str, Any] = {"purposes": ["referral"], "recipients": ["PKH"]}


def record(withdrawal_id: str, purposes: list[str], at: str) -> dict[str, Any]:
    return {"withdrawal_id": withdrawal_id, "purposes": purposes, "withdrawn_at": at}


def test_what_some_intake_still_consents_to_is_taken_in_order() -> None:
    assert still_given([REFERRAL_ONLY, BOTH], ["notification", "referral"]) == [
        "notification",
        "referral",
    ]
    assert still_given([REFERRAL_ONLY], ["notification"]) == []
    assert still_given([], ["referral"]) == []


def test_a_withdrawal_leaves_the_other_purposes_and_keeps_the_history() -> None:
    before = copy.deepcopy(BOTH)
    first = record("w1", ["notification"], "2026-12-04T10:00:00+00:00")
    after = withdrawn_from(BOTH, ["notification"], first)
    assert BOTH == before  # the stored consent is not changed in place
    assert after == {**BOTH, "purposes": ["referral"], "withdrawn": [first]}
    second = record("w2", ["referral"], "2026-12-04T11:00:00+00:00")
    again = withdrawn_from(after, ["referral"], second)
    assert again["purposes"] == [] and again["withdrawn"] == [first, second]
    assert again["recipients"] == ["*"]
    assert still_given([again], ["referral", "notification"]) == []


def test_a_repeat_is_answered_by_the_latest_withdrawal_that_took_the_purpose() -> None:
    early = record("w1", ["notification"], "2026-12-04T10:00:00+00:00")
    late = record("w2", ["notification", "referral"], "2026-12-04T12:00:00+00:00")
    other = record("w3", ["referral"], "2026-12-04T13:00:00+00:00")
    consents = [
        {"purposes": [], "withdrawn": [early, late]},
        {"purposes": [], "withdrawn": [other]},
    ]
    assert last_withdrawal(consents, ["notification"]) == late
    assert last_withdrawal(consents, ["referral"]) == other
    assert last_withdrawal([REFERRAL_ONLY], ["notification"]) is None
