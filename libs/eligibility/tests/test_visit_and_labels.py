"""The ``visit`` fact (exclusions between programs) and labels in two languages."""

from __future__ import annotations

from typing import Any

import pytest

from rujukan_eligibility.context import EvaluationContext
from rujukan_eligibility.rules import (
    PreparedContext,
    RuleError,
    compile_rule,
    names_used,
    parse_rule,
)

NOT_BESIDE_PKH = {
    "kind": "criterion",
    "name": "not_beside_pkh",
    "label": "Tidak dirujuk ke PKH pada kunjungan ini",
    "label_en": "Not referred to PKH in this visit",
    "cel": "!('PKH' in visit.referred)",
}


def test_a_rule_may_read_the_visits_referrals_and_says_so() -> None:
    rule = compile_rule(NOT_BESIDE_PKH)
    assert rule.roots == frozenset({"visit"})
    pkh = compile_rule(
        {"kind": "criterion", "name": "poor", "label": "miskin", "cel": "registry.decile <= 4"}
    )
    assert pkh.roots == frozenset({"registry"})
    members = compile_rule(
        {
            "kind": "criterion",
            "name": "old",
            "label": "lansia",
            "cel": "members.exists(m, m.age > 70)",
        }
    )
    assert members.roots == frozenset({"members"})


def test_visit_referred_is_empty_unless_given(example_context: EvaluationContext) -> None:
    data = example_context.to_cel()
    assert data["visit"] == {"referred": []}
    rule = compile_rule(NOT_BESIDE_PKH)
    assert rule.check(data)
    assert not rule.check({**data, "visit": {"referred": ["PKH"]}})


@pytest.mark.parametrize("keep", [None, "names"])
def test_put_changes_what_the_rules_read_after_conversion(
    example_context: EvaluationContext, keep: str | None
) -> None:
    rule = compile_rule(NOT_BESIDE_PKH)
    ctx = PreparedContext(example_context.to_cel(), names_used([rule]) if keep == "names" else None)
    assert rule.verdict(ctx).eligible
    ctx.put("visit", {"referred": ["PBI-JK", "PKH"]})
    assert not rule.verdict(ctx).eligible
    assert ctx.data["visit"] == {"referred": ["PBI-JK", "PKH"]}  # what explanations read
    [explained] = rule.explain(ctx.data, rule.verdict(ctx))
    assert explained.values == {"visit.referred": ["PBI-JK", "PKH"]}
    ctx.put("visit", {"referred": []})
    assert rule.verdict(ctx).eligible


def test_put_of_a_variable_no_rule_reads_leaves_the_projection_alone(
    example_context: EvaluationContext,
) -> None:
    rule = compile_rule(
        {"kind": "criterion", "name": "poor", "label": "miskin", "cel": "registry.decile <= 4"}
    )
    ctx = PreparedContext(example_context.to_cel(), names_used([rule]))
    ctx.put("visit", {"referred": ["PKH"]})
    assert ctx.data["visit"] == {"referred": ["PKH"]}
    assert rule.verdict(ctx).eligible


def test_an_unknown_variable_is_still_refused() -> None:
    with pytest.raises(RuleError, match="unknown variable"):
        compile_rule({"kind": "criterion", "name": "x", "label": "x", "cel": "visits.size() > 0"})


def test_explanations_carry_the_label_in_both_languages(
    example_context: EvaluationContext,
) -> None:
    rule = compile_rule(
        {
            "kind": "all_of",
            "name": "root",
            "label": "Semua syarat",
            "label_en": "Every condition",
            "of": [NOT_BESIDE_PKH, {"kind": "criterion", "name": "t", "label": "t", "cel": "true"}],
        }
    )
    evaluation = rule.evaluate(example_context.to_cel())
    tree = evaluation.tree.to_dict()
    assert (tree["label"], tree["label_en"]) == ("Semua syarat", "Every condition")
    first, second = evaluation.criteria
    assert first.to_dict()["label"] == "Tidak dirujuk ke PKH pada kunjungan ini"
    assert first.to_dict()["label_en"] == "Not referred to PKH in this visit"
    assert second.to_dict()["label_en"] is None  # a rule written with one label only


def test_a_rule_with_one_label_dumps_as_it_was_written() -> None:
    old: dict[str, Any] = {"kind": "criterion", "name": "a", "label": "Old English", "cel": "true"}
    assert parse_rule(old).model_dump() == old
    assert parse_rule(NOT_BESIDE_PKH).model_dump() == NOT_BESIDE_PKH


def test_an_empty_english_label_is_refused() -> None:
    with pytest.raises(ValueError, match="label_en"):
        parse_rule({**NOT_BESIDE_PKH, "label_en": ""})
