from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from rujukan_eligibility.context import (
    CONTEXT_DOC,
    EvaluationContext,
    Region,
    Registry,
    age_on,
    member_from_birth_date,
)


def test_example_ages(example_context: EvaluationContext) -> None:
    assert [m.age for m in example_context.members] == [42, 38, 4, 10]


def test_age_on_birthday_boundaries() -> None:
    assert age_on(date(2000, 5, 17), date(2024, 5, 16)) == (23, 287)
    assert age_on(date(2000, 5, 17), date(2024, 5, 17)) == (24, 288)
    assert age_on(date(2020, 2, 29), date(2021, 2, 28)) == (0, 11)
    assert age_on(date(2020, 2, 29), date(2021, 3, 1)) == (1, 12)
    assert age_on(date(2024, 1, 1), date(2024, 1, 1)) == (0, 0)
    with pytest.raises(ValueError):
        age_on(date(2024, 1, 2), date(2024, 1, 1))


def test_member_from_birth_date_flags() -> None:
    m = member_from_birth_date(
        date(1950, 1, 1), date(2022, 6, 1), sex="female", relationship="parent",
        disability="severe",
    )  # fmt: skip
    assert (m.age, m.age_months, m.disability) == (72, 869, "severe")


def test_to_cel_is_plain_and_decile_absent_when_not_found(
    example_context: EvaluationContext,
) -> None:
    data = example_context.to_cel()
    assert data["registry"]["decile"] == 2
    assert data["region"] == {
        "province": "33", "district": "33.04", "subdistrict": "33.04.01",
        "village": "33.04.01.2001",
    }  # fmt: skip

    def plain(v: Any) -> bool:
        if isinstance(v, dict):
            return all(isinstance(k, str) and plain(x) for k, x in v.items())
        if isinstance(v, list):
            return all(plain(x) for x in v)
        return isinstance(v, str | int | bool)

    assert plain(data)
    ctx = example_context.model_copy(update={"registry": Registry(found=False)})
    assert "decile" not in ctx.to_cel()["registry"]


def test_validation() -> None:
    with pytest.raises(ValidationError):
        Registry(found=False, decile=3)
    with pytest.raises(ValidationError):
        Registry(found=True, decile=11)
    with pytest.raises(ValueError):
        Region.from_village("33.04")
    with pytest.raises(ValidationError):
        Region(province="33", district="3304", subdistrict="33.04.01", village="33.04.01.2001")


def test_context_doc_file_matches_constant() -> None:
    doc = Path(__file__).resolve().parents[1] / "CONTEXT.md"
    assert doc.read_text(encoding="utf-8") == CONTEXT_DOC
    for name in ("members", "registry", "region", "needs", "household", "age_months", "has_kks"):
        assert name in CONTEXT_DOC
