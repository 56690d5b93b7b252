from __future__ import annotations

import json
from typing import Any

import pytest

from rujukan_eligibility.context import EvaluationContext, Registry
from rujukan_eligibility.rules import (
    ABSENT,
    AllOf,
    AtLeast,
    Criterion,
    RuleError,
    compile_rule,
    parse_rule,
    prepare,
    referenced_paths,
)


def crit(name: str, expr: str) -> dict[str, Any]:
    return {"kind": "criterion", "name": name, "label": name.replace("_", " "), "cel": expr}


@pytest.mark.parametrize(
    ("expr", "fault"),
    [
        ("registry.decile <=", "syntax error"),
        ("foo.bar > 1", "unknown variable(s) foo"),
        ("registry.decile", "must evaluate to a bool"),
        ("members.map(m, m.age)", "must evaluate to a bool"),
        ("registry.decil <= 4", "no such key: decil"),
        ("members.exists(m, m.agee > 3)", "no such key"),
        ("registry.decile + 'a' == 1", "TypeError"),
        ("size(needs) > 0 ? 1 : 2", "must evaluate to a bool"),
    ],
)
def test_refused_when_saved(expr: str, fault: str) -> None:
    with pytest.raises(RuleError) as info:
        compile_rule(parse_rule({"kind": "all_of", "name": "root", "label": "r",
                                 "of": [crit("ok", "true"), crit("bad_one", expr)]}))  # fmt: skip
    assert info.value.criterion == "bad_one"
    assert fault in info.value.fault and info.value.reason.en == info.value.fault
    assert info.value.reason.id and info.value.reason.id != info.value.reason.en  # Indonesian


def test_missing_optional_key_is_acceptable_when_saved() -> None:
    # decile is absent on the non-registry sample: tolerated, it is a documented optional key.
    compile_rule(Criterion(name="d", label="d", cel="registry.decile <= 4"))
    compile_rule(Criterion(name="d", label="d", cel="members[0].age > 3"))


def test_duplicate_names_and_at_least_range() -> None:
    with pytest.raises(RuleError, match="duplicate"):
        compile_rule(AllOf(name="a", label="a", of=[
            Criterion(name="x", label="x", cel="true"),
            Criterion(name="x", label="x", cel="false")]))  # fmt: skip
    for n in (0, 3):
        with pytest.raises(RuleError, match="out of range") as info:
            compile_rule(AtLeast(name="k", label="k", n=n, of=[
                Criterion(name="x", label="x", cel="true"),
                Criterion(name="y", label="y", cel="true")]))  # fmt: skip
        assert info.value.criterion == "k"
    with pytest.raises(RuleError, match="at least one child"):
        compile_rule(AllOf(name="a", label="a", of=[]))


def test_rule_json_round_trip() -> None:
    data = {"kind": "at_least", "name": "k", "label": "K", "n": 1,
            "of": [crit("a", "true"), {"kind": "any_of", "name": "b", "label": "B",
                                         "of": [crit("c", "false")]}]}  # fmt: skip
    rule = parse_rule(json.loads(json.dumps(data)))
    assert rule.model_dump() == data
    assert parse_rule(json.loads(rule.model_dump_json())) == rule


def test_explanation_values_and_errors(example_context: EvaluationContext) -> None:
    rule = compile_rule(parse_rule({"kind": "all_of", "name": "root", "label": "root", "of": [
        crit("decile", "registry.found && registry.decile <= 4"),
        crit("raw_decile", "registry.decile <= 4"),
        crit("elderly", "members.exists(m, m.age >= 70)"),
        crit("text", "'registry.found' in needs || region.province == \"33\""),
    ]}))  # fmt: skip
    ev = rule.evaluate(example_context)
    by = {c.name: c for c in ev.criteria}
    assert [c.name for c in ev.criteria] == ["decile", "raw_decile", "elderly", "text"]
    assert by["decile"].values == {"registry.found": True, "registry.decile": 2}
    assert by["elderly"].values == {"members": "<4 members>", "members[].age": [42, 38, 4, 10]}
    assert by["elderly"].passed is False and ev.eligible is False
    assert by["text"].values == {"needs": ["health_insurance", "schooling", "food"],
                                 "region.province": "33"}  # fmt: skip

    unregistered = example_context.model_copy(update={"registry": Registry(found=False)})
    ev2 = rule.evaluate(unregistered)
    by2 = {c.name: c for c in ev2.criteria}
    assert by2["decile"].passed is False and by2["decile"].error is None
    assert by2["decile"].values["registry.decile"] == ABSENT
    assert by2["raw_decile"].passed is False
    assert by2["raw_decile"].error is not None and "decile" in by2["raw_decile"].error
    json.dumps(ev2.to_dict())  # the explanation is JSON-serialisable


def test_every_criterion_evaluated_no_short_circuit(example_context: EvaluationContext) -> None:
    rule = compile_rule(parse_rule({"kind": "any_of", "name": "root", "label": "r", "of": [
        crit("first", "true"), crit("second", "false"),
        {"kind": "all_of", "name": "inner", "label": "i", "of": [crit("third", "false"),
                                                                   crit("fourth", "true")]},
    ]}))  # fmt: skip
    ev = rule.evaluate(prepare(example_context))
    assert ev.eligible is True
    assert [(c.name, c.passed) for c in ev.criteria] == [
        ("first", True), ("second", False), ("third", False), ("fourth", True)]  # fmt: skip
    assert {g.name: g.passed for g in ev.groups()} == {"root": True, "inner": False}
    assert rule.check(example_context) is True


def test_referenced_paths_tokenizer() -> None:
    expr = (
        "registry.found && 'members.age' in needs && \"x\\\"registry.y\" != '' "
        "&& registry.enrolments.size() == 0 && size(household.missing_documents) > 0 "
        "&& members.filter(p, p.disability == 'severe').size() > 0 && has(registry.decile) "
        "&& r'\\' == '\\\\' && '''a 'b' registry.z''' != ''"
    )
    compile_rule(Criterion(name="x", label="x", cel=expr))
    assert referenced_paths(expr) == [
        "registry.found", "needs", "registry.enrolments", "household.missing_documents",
        "members", "members[].disability", "registry.decile",
    ]  # fmt: skip
