"""Shared fixtures of the eligibility tests: the seed directory and the example household."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

SEED_DIR = (
    Path(__file__).resolve().parents[3] / "services" / "program-registry" / "seed" / "programs"
)
EVALUATION_DATE = date(2026, 11, 24)


def _example_context() -> Any:
    from rujukan_eligibility.context import (
        EvaluationContext,
        Household,
        Region,
        Registry,
        member_from_birth_date,
    )

    d = EVALUATION_DATE
    return EvaluationContext(
        region=Region.from_village("33.04.01.2001"),  # a desa in Banjarnegara, Central Java
        registry=Registry(found=True, decile=2, enrolments=[], has_kks=True),
        members=[
            member_from_birth_date(
                date(1984, 3, 2), d, sex="male", relationship="head",
                schooling="completed_12y", working=True,
            ),
            member_from_birth_date(
                date(1988, 7, 15), d, sex="female", relationship="spouse",
                pregnant=True, schooling="not_in_school",
            ),
            member_from_birth_date(date(2022, 1, 20), d, sex="female", relationship="child"),
            member_from_birth_date(
                date(2016, 5, 9), d, sex="male", relationship="child", schooling="in_school"
            ),
        ],
        needs=["health_insurance", "schooling", "food"],
        household=Household(size=4, owns_land=True, house_below_standard=False),
    )  # fmt: skip


#: The example household of the brief: head 42, pregnant spouse 38, girl 4, schoolboy 10.
EXAMPLE_CONTEXT = _example_context()


@pytest.fixture
def example_context() -> Any:
    return EXAMPLE_CONTEXT


@pytest.fixture(scope="session")
def seed_programs() -> Any:
    from rujukan_eligibility.catalogue import load_seed_programs

    return {p.code: p for p in load_seed_programs(SEED_DIR)}
