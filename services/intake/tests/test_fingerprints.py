"""An intake's two fingerprints (pure): the request's, which an Idempotency-Key is held to, and
the visit's content, which tells a word-for-word repeat. Both are stored with the intake, so the
same intake must give the same ones from one release to the next."""

from __future__ import annotations

import copy
from typing import Any

from rujukan_intake.domain.intake import IntakeCreate
from rujukan_intake.domain.visits import visit_content
from rujukan_intake.service_layer.intakes import fingerprints

#: an intake of its own, not the API's ``EXAMPLE_INTAKE``: the fingerprints below are pinned,
#: and must not move when the documentation's example is edited
INTAKE: dict[str, Any] = {
    "household": {
        "kk_number": "3304011203120001",
        "village_code": "33.04.01.2001",
        "address": "Dusun Krajan RT 02/RW 01",
        "owns_land": False,
        "house_below_standard": True,
        "missing_documents": ["kk", "akta_kelahiran"],
    },
    "members": [
        {
            "nik": "3304015505800002",
            "name": "Siti Aminah",
            "birth_date": "1980-05-15",
            "sex": "female",
            "relationship": "spouse",
        },
        {
            "nik": "3304011203780001",
            "name": "Budi Santoso",
            "birth_date": "1978-03-12",
            "sex": "male",
            "relationship": "head",
            "working": True,
        },
        {
            "nik": "3304014107120003",
            "name": "Rina",
            "birth_date": "2012-07-01",
            "sex": "female",
            "relationship": "child",
            "schooling": "in_school",
        },
    ],
    "needs": ["schooling", "health_insurance"],
    "priority_lanes": [],
    "consent": {
        "purposes": ["referral", "notification"],
        "recipients": ["*"],
        "given_at": "2026-11-01T08:00:00+07:00",
    },
    "contact": {"language": "id", "email": "keluarga.santoso@example.org"},
    "taken_by": {"puskesos": "Puskesos Desa Berta", "channel": "front_office"},
}

#: made by the code before both came from one dump (session 13): a stored key or visit would
#: otherwise stop matching its retry or its repeat after an upgrade
REQUEST = "9bd4cdb70123e8cca8b57e3a722ff1b4159b4ab50900e1d316339d3001c270a4"
CONTENT = "4cc77ecde6eed3c2257485ce493f863faacaa39ea1ea1985936ee861c8b25d0b"


def test_the_fingerprints_of_an_intake_do_not_change_between_releases() -> None:
    assert fingerprints(IntakeCreate.model_validate(INTAKE)) == (REQUEST, CONTENT)


def test_the_same_visit_typed_in_another_order_says_the_same() -> None:
    typed_again = copy.deepcopy(INTAKE)
    typed_again["members"].reverse()
    typed_again["needs"].reverse()
    typed_again["household"]["missing_documents"].reverse()
    request, content = fingerprints(IntakeCreate.model_validate(typed_again))
    assert content == CONTENT
    assert request != REQUEST  # another body: its Idempotency-Key is held to what it says


def test_a_visit_that_says_something_new_is_no_repeat() -> None:
    more = copy.deepcopy(INTAKE)
    more["needs"].append("food")
    assert fingerprints(IntakeCreate.model_validate(more))[1] != CONTENT


def test_the_visits_content_leaves_the_intake_it_is_read_from_as_it_was() -> None:
    intake = IntakeCreate.model_validate(INTAKE).model_dump(mode="json")
    before = copy.deepcopy(intake)
    visit_content(intake)
    assert intake == before
