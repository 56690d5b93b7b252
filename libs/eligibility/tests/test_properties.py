"""Property tests: combinators agree with all/any/sum over their children, at any depth."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rujukan_eligibility.rules import compile_rule, parse_rule, prepare

_counter = iter(range(10**9))


def _name() -> str:
    return f"n{next(_counter)}"


def trees() -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.booleans().map(
        lambda b: {"kind": "criterion", "label": "c", "cel": "true" if b else "false"}
    )

    def extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        kids = st.lists(children, min_size=1, max_size=5)
        return st.one_of(
            kids.map(lambda of: {"kind": "all_of", "label": "g", "of": of}),
            kids.map(lambda of: {"kind": "any_of", "label": "g", "of": of}),
            kids.flatmap(
                lambda of: st.integers(1, len(of)).map(
                    lambda n: {"kind": "at_least", "label": "g", "n": n, "of": of}
                )
            ),
        )

    return st.recursive(leaf, extend, max_leaves=25)


def _named(node: dict[str, Any]) -> dict[str, Any]:
    out = {**node, "name": _name()}
    if "of" in node:
        out["of"] = [_named(c) for c in node["of"]]
    return out


def expected(node: dict[str, Any]) -> bool:
    if node["kind"] == "criterion":
        return bool(node["cel"] == "true")
    vals = [expected(c) for c in node["of"]]
    if node["kind"] == "all_of":
        return all(vals)
    if node["kind"] == "any_of":
        return any(vals)
    n: int = node["n"]
    return sum(vals) >= n


def leaves(node: dict[str, Any]) -> list[dict[str, Any]]:
    if node["kind"] == "criterion":
        return [node]
    return [x for c in node["of"] for x in leaves(c)]


contexts = st.fixed_dictionaries(
    {
        "members": st.lists(
            st.fixed_dictionaries({"age": st.integers(0, 100), "pregnant": st.booleans()}),
            max_size=4,
        ),
        "registry": st.one_of(
            st.fixed_dictionaries({"found": st.just(False), "enrolments": st.just([])}),
            st.fixed_dictionaries(
                {"found": st.just(True), "decile": st.integers(1, 10), "enrolments": st.just([])}
            ),
        ),
        "region": st.just({"province": "33"}),
        "needs": st.lists(st.sampled_from(["food", "cash"]), max_size=2),
        "household": st.just({"size": 1}),
    }
)


@settings(max_examples=150, deadline=None)
@given(trees(), contexts)
def test_combinators_match_python_semantics(tree: dict[str, Any], ctx: dict[str, Any]) -> None:
    named = _named(tree)
    compiled = compile_rule(parse_rule(named))
    ev = compiled.evaluate(ctx)
    assert ev.eligible == expected(named)
    assert compiled.check(ctx) == ev.eligible
    # every criterion is reported, in tree order, with its own result
    assert [c.name for c in ev.criteria] == [x["name"] for x in leaves(named)]
    assert [c.passed for c in ev.criteria] == [x["cel"] == "true" for x in leaves(named)]
    # every group's reported result equals the semantics of its children
    by_name: dict[str, dict[str, Any]] = {}

    def index(node: dict[str, Any]) -> None:
        by_name[node["name"]] = node
        for c in node.get("of", []):
            index(c)

    index(named)
    for g in ev.groups():
        assert g.passed == expected(by_name[g.name])
        assert [c.passed for c in g.children] == [expected(c) for c in by_name[g.name]["of"]]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=8), st.data())
def test_at_least_is_count(bits: list[bool], data: st.DataObject) -> None:
    n = data.draw(st.integers(1, len(bits)))
    of = [
        {"kind": "criterion", "name": f"c{i}", "label": "c", "cel": "true" if b else "false"}
        for i, b in enumerate(bits)
    ]
    rule = compile_rule(
        parse_rule({"kind": "at_least", "name": "k", "label": "k", "n": n, "of": of})
    )
    ev = rule.evaluate({"members": [], "registry": {"found": False}, "region": {}, "needs": [],
                        "household": {}})  # fmt: skip
    assert ev.eligible == (sum(bits) >= n)


@settings(max_examples=150, deadline=None)
@given(trees(), contexts)
def test_a_verdict_explained_is_the_evaluation(tree: dict[str, Any], ctx: dict[str, Any]) -> None:
    """The router stores verdicts and explains them later from the stored context: the
    explanation must be exactly what ``evaluate`` reports."""
    compiled = compile_rule(parse_rule(_named(tree)))
    prepared = prepare(ctx)
    verdict = compiled.verdict(prepared)
    evaluation = compiled.evaluate(prepared)
    assert verdict.eligible == evaluation.eligible
    assert list(verdict.passed) == [c.passed for c in evaluation.criteria]
    assert compiled.explain(ctx, verdict) == evaluation.criteria


def test_verdicts_keep_errors_and_explain_the_values_read() -> None:
    rule = compile_rule(
        parse_rule(
            {
                "kind": "all_of",
                "name": "r",
                "label": "r",
                "of": [
                    {"kind": "criterion", "name": "low", "label": "low decile",
                     "cel": "registry.decile <= 4"},
                    {"kind": "criterion", "name": "kids", "label": "a child",
                     "cel": "members.exists(m, m.age < 18)"},
                ],
            }
        )
    )  # fmt: skip
    ctx = {"members": [{"age": 40}, {"age": 9}], "registry": {"found": False},
           "region": {}, "needs": [], "household": {}}  # fmt: skip
    verdict = rule.verdict(prepare(ctx))
    assert verdict.passed == (False, True) and not verdict.eligible
    assert verdict.errors is not None and "decile" in verdict.errors[0]
    low, kids = rule.explain(ctx, verdict)
    assert low.error == verdict.errors[0] and low.values == {"registry.decile": "<absent>"}
    assert kids.passed and kids.values == {"members": "<2 members>", "members[].age": [40, 9]}
    assert rule.explain(ctx, verdict) == rule.evaluate(ctx).criteria
