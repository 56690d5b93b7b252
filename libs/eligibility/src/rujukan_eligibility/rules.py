"""Eligibility rules as data, compiled once and evaluated with a full explanation.

A rule is a tree: leaves are ``Criterion`` (one CEL expression returning a bool), inner nodes
are ``AllOf`` / ``AnyOf`` / ``AtLeast``. Rules are pydantic models discriminated by ``kind`` so
they round-trip through JSON/YAML. ``compile_rule`` type-checks a rule ("when saved") and
returns a ``CompiledRule`` whose ``evaluate`` reports every criterion (no short-circuit across
criteria) with the context values it read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeAlias

import cel
from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter

from rujukan_contracts.text import Line, Localised, Text
from rujukan_eligibility.context import (
    TOP_LEVEL_VARIABLES,
    EvaluationContext,
    Household,
    Member,
    Region,
    Registry,
)

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
ABSENT = "<absent>"

# --------------------------------------------------------------------------- rule models


def _kind_is_required(schema: dict[str, Any]) -> None:
    """``kind`` tells the nodes apart, so a client must send it (the server refuses a node
    without it); only Python code may leave it out. The schema says what the server needs."""
    required = schema.setdefault("required", [])
    if "kind" not in required:
        required.insert(0, "kind")


class _RuleBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_kind_is_required)

    name: str = Field(pattern=NAME_PATTERN, description="snake_case identifier, unique in a rule")
    label: Line = Field(
        min_length=1,
        description="shown in explanations, in Bahasa Indonesia as a Puskesos officer reads it "
        "(rules saved before labels had two languages hold their English text here)",
    )
    label_en: Line | None = Field(
        default=None,
        min_length=1,
        exclude_if=lambda value: value is None,  # a rule without it dumps as it was written
        description="the same label in English",
    )


class Criterion(_RuleBase):
    kind: Literal["criterion"] = "criterion"
    cel: Text = Field(min_length=1, description="CEL expression evaluating to a bool")


class AllOf(_RuleBase):
    kind: Literal["all_of"] = "all_of"
    of: list[Rule]


class AnyOf(_RuleBase):
    kind: Literal["any_of"] = "any_of"
    of: list[Rule]


class AtLeast(_RuleBase):
    kind: Literal["at_least"] = "at_least"
    n: StrictInt
    of: list[Rule]


Rule: TypeAlias = Annotated[Criterion | AllOf | AnyOf | AtLeast, Field(discriminator="kind")]

AllOf.model_rebuild()
AnyOf.model_rebuild()
AtLeast.model_rebuild()

_RULE_ADAPTER: TypeAdapter[Criterion | AllOf | AnyOf | AtLeast] = TypeAdapter(Rule)


def parse_rule(data: Any) -> Criterion | AllOf | AnyOf | AtLeast:
    """Validate a rule from plain data (as read from JSON or YAML)."""
    return _RULE_ADAPTER.validate_python(data)


def rule_json_schema() -> dict[str, Any]:
    return _RULE_ADAPTER.json_schema()


class RuleError(ValueError):
    """A rule refused when compiled: which criterion (or group) and why (``reason``, in both
    languages for the program officer; ``fault``, its English)."""

    def __init__(self, criterion: str, reason: Localised) -> None:
        super().__init__(f"{criterion}: {reason.en}")
        self.criterion = criterion
        self.reason = reason

    @property
    def fault(self) -> str:
        return self.reason.en


# --------------------------------------------------------------------------- tokenizer

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\S")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MACROS = "all|exists|exists_one|existsOne|map|filter|sortBy|transformList|transformMap"
_BINDER = re.compile(
    r"((?<![\w.])[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)?\s*\.\s*(?:" + _MACROS + r")\s*\(\s*"
    r"([A-Za-z_]\w*)\s*,(?:\s*([A-Za-z_]\w*)\s*,)?"
)
_BIND = re.compile(r"\bcel\s*\.\s*bind\s*\(\s*([A-Za-z_]\w*)\s*,")


def _strip_strings(src: str) -> str:
    """Replace every CEL string/bytes literal (any quoting, r/b prefixes) by ``#``."""
    out: list[str] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c not in "'\"":
            out.append(c)
            i += 1
            continue
        k = i
        while k > 0 and i - k < 2 and src[k - 1] in "rRbB":
            k -= 1
        prefix = src[k:i]
        raw = False
        if prefix and (k == 0 or not (src[k - 1].isalnum() or src[k - 1] == "_")):
            raw = "r" in prefix.lower()
            del out[len(out) - len(prefix) :]
        quote = src[i : i + 3] if src[i : i + 3] in ('"""', "'''") else c
        i += len(quote)
        while i < n:
            if not raw and src[i] == "\\":
                i += 2
                continue
            if src.startswith(quote, i):
                i += len(quote)
                break
            i += 1
        out.append(" # ")
    return "".join(out)


def _binders(stripped: str) -> dict[str, str | None]:
    """Comprehension variables -> the dotted path of the collection they range over."""
    found: dict[str, str | None] = {}
    for m in _BINDER.finditer(stripped):
        coll = re.sub(r"\s+", "", m.group(1)) if m.group(1) else None
        found[m.group(2)] = coll
        if m.group(3):
            found[m.group(3)] = coll
    for m in _BIND.finditer(stripped):
        found[m.group(1)] = None
    return found


def referenced_paths(source: str) -> list[str]:
    """Dotted context paths an expression reads, in order of first appearance.

    String literals are skipped; a trailing method call is not part of a path
    (``registry.enrolments.size()`` reads ``registry.enrolments``); a path through a
    comprehension variable over ``members`` is reported as ``members[].field``.
    """
    stripped = _strip_strings(source)
    binders = _binders(stripped)
    toks = _TOKEN.findall(stripped)
    paths: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(toks):
        tok = toks[i]
        if not _IDENT.fullmatch(tok) or (i > 0 and toks[i - 1] == "."):
            i += 1
            continue
        if i + 1 < len(toks) and toks[i + 1] == "(":
            i += 1
            continue
        parts = [tok]
        j = i
        while (
            j + 2 < len(toks)
            and toks[j + 1] == "."
            and _IDENT.fullmatch(toks[j + 2])
            and not (j + 3 < len(toks) and toks[j + 3] == "(")
        ):
            parts.append(toks[j + 2])
            j += 2
        i = j + 1
        root = parts[0]
        if root in TOP_LEVEL_VARIABLES:
            path = ".".join(parts)
        elif root in binders:
            coll = binders[root]
            if coll is None or coll.split(".")[0] not in TOP_LEVEL_VARIABLES or len(parts) == 1:
                continue
            path = coll + "[]." + ".".join(parts[1:])
        else:
            continue
        if path not in seen:
            seen.add(path)
            paths.append(path)
    return paths


# --------------------------------------------------------------------------- context


def _project(value: Any, keep: frozenset[str]) -> Any:
    if isinstance(value, dict):  # scalars are kept as they are, without a call each
        return {
            k: _project(v, keep) if isinstance(v, dict | list) else v
            for k, v in value.items()
            if k in keep
        }
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_project(v, keep) for v in value]
    return value


class PreparedContext:
    """A household's context converted once: the plain dict and a reusable ``cel.Context``.

    ``keep`` (from ``names_used``) projects the CEL side down to the keys some rule can read:
    converting Python values into CEL is the dominant cost (about 1 us per value), so
    dropping unread fields (``region`` when no rule reads it, ``members[].working``...) pays.
    Explanations still read the full ``data``. Not thread-safe (``cel.Context`` is not).
    """

    __slots__ = ("cel", "data", "keep")

    def __init__(self, data: dict[str, Any], keep: frozenset[str] | None = None) -> None:
        self.data = data
        self.keep = keep
        self.cel = cel.Context(data if keep is None else _project(data, keep))

    def put(self, name: str, value: Any) -> None:
        """Set one top-level variable after the context was converted: what the router learns
        between the rules that do not read ``visit`` and those that do."""
        self.data[name] = value
        if self.keep is None:
            self.cel.add_variable(name, value)
        elif name in self.keep:
            self.cel.add_variable(name, _project(value, self.keep))


def prepare(
    context: PreparedContext | EvaluationContext | Mapping[str, Any],
    keep: frozenset[str] | None = None,
) -> PreparedContext:
    """Convert a context once; pass the result to every ``evaluate``/``check`` call."""
    if isinstance(context, PreparedContext):
        return context
    if isinstance(context, EvaluationContext):
        return PreparedContext(context.to_cel(), keep)
    return PreparedContext(dict(context), keep)


def names_used(rules: Iterable[CompiledRule]) -> frozenset[str]:
    """Every identifier (and word inside a string literal) of every criterion of ``rules``.

    A conservative superset of the context keys the rules can read; use it as ``keep``
    for ``prepare``/``PreparedContext`` when evaluating exactly these rules.
    """
    out: set[str] = set()
    for rule in rules:
        out |= rule.names
    return frozenset(out)


# --------------------------------------------------------------------------- results

#: The keys of an explained node (``to_dict``), in the order explanations show them.
_CRITERION_KEYS = ("kind", "name", "label", "label_en", "cel", "passed", "values", "error")
#: a group's keys, then ``n`` (at_least) and ``children``
_GROUP_KEYS = ("kind", "name", "label", "label_en", "passed")


@dataclass(slots=True)
class CriterionResult:
    name: str
    label: str
    cel: str
    passed: bool
    values: dict[str, Any]
    error: str | None = None
    kind: Literal["criterion"] = "criterion"
    label_en: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in _CRITERION_KEYS}


@dataclass(slots=True)
class GroupResult:
    kind: Literal["all_of", "any_of", "at_least"]
    name: str
    label: str
    passed: bool
    children: list[CriterionResult | GroupResult]
    n: int | None = None
    label_en: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {key: getattr(self, key) for key in _GROUP_KEYS}
        if self.n is not None:
            out["n"] = self.n
        out["children"] = [c.to_dict() for c in self.children]
        return out


@dataclass(slots=True)
class Evaluation:
    eligible: bool
    tree: CriterionResult | GroupResult
    criteria: list[CriterionResult] = field(default_factory=list)

    def groups(self) -> Iterator[GroupResult]:
        stack: list[CriterionResult | GroupResult] = [self.tree]
        while stack:
            node = stack.pop()
            if isinstance(node, GroupResult):
                yield node
                stack.extend(reversed(node.children))

    def to_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "criteria": [c.to_dict() for c in self.criteria],
            "tree": self.tree.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """Every criterion's result without the values it read: what a decision stores.

    ``passed`` follows ``CompiledRule.criteria``; ``errors`` (criterion index -> message) only
    when a criterion could not be evaluated. ``CompiledRule.explain`` turns it back into the
    full explanation from the context the rule was evaluated on.
    """

    eligible: bool
    passed: tuple[bool, ...]
    errors: dict[int, str] | None = None


# --------------------------------------------------------------------------- compiled nodes


def _summarise(path: str, value: Any) -> Any:
    if isinstance(value, list):
        if path == "members" or (value and isinstance(value[0], dict)):
            noun = "members" if path == "members" else "items"
            return f"<{len(value)} {noun}>"
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def _walk(value: Any, keys: list[str]) -> Any:
    """The value at ``keys`` below ``value``, or ``ABSENT`` where a key is missing."""
    for k in keys:
        if not (isinstance(value, dict) and k in value):
            return ABSENT
        value = value[k]
    return value


def _make_getter(path: str) -> Any:
    """A function data -> value (or summary) of one dotted path."""
    if "[]." in path:
        coll, rest = path.split("[].", 1)
        ckeys = coll.split(".")
        rkeys = rest.split(".")

        if len(ckeys) == 1 and len(rkeys) == 1:
            c0, r0 = ckeys[0], rkeys[0]

            def get_each1(data: dict[str, Any]) -> Any:
                v = data.get(c0, ABSENT)
                if not isinstance(v, list):
                    return ABSENT
                return [i.get(r0, ABSENT) if isinstance(i, dict) else ABSENT for i in v]

            return get_each1

        def get_each(data: dict[str, Any]) -> Any:
            v = _walk(data, ckeys)
            if not isinstance(v, list):
                return ABSENT
            return [_walk(item, rkeys) for item in v]

        return get_each

    keys = path.split(".")
    if len(keys) == 2:
        k0, k1 = keys

        def get2(data: dict[str, Any]) -> Any:
            v = data.get(k0)
            if isinstance(v, dict) and k1 in v:
                w = v[k1]
                if isinstance(w, list | dict):
                    return _summarise(path, w)
                return w
            return ABSENT

        return get2

    def get(data: dict[str, Any]) -> Any:
        return _summarise(path, _walk(data, keys))

    return get


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"no such key: {exc.args[0] if exc.args else exc}"
    return f"{type(exc).__name__}: {exc}"


class _CompiledCriterion:
    __slots__ = ("getters", "label", "label_en", "name", "paths", "program", "source")

    def __init__(self, rule: Criterion, program: Any) -> None:
        self.name = rule.name
        self.label = rule.label
        self.label_en = rule.label_en
        self.source = rule.cel
        self.program = program
        self.paths = referenced_paths(rule.cel)
        self.getters = [(p, _make_getter(p)) for p in self.paths]

    def result(self, ctx: PreparedContext) -> tuple[bool, str | None]:
        """The criterion's result, and why it could not be evaluated (None when it could)."""
        try:
            result = self.program.execute(ctx.cel)
        except Exception as exc:
            return False, _describe(exc)
        if result is not True and result is not False:
            return False, f"expression returned {type(result).__name__}, not bool"
        return result, None

    def explained(
        self, data: Mapping[str, Any], passed: bool, error: str | None
    ) -> CriterionResult:
        """The explanation of a result: the values this criterion read from ``data``."""
        values = {p: g(data) for p, g in self.getters}
        return CriterionResult(
            self.name, self.label, self.source, passed, values, error, label_en=self.label_en
        )

    def run(self, ctx: PreparedContext, out: list[CriterionResult]) -> CriterionResult:
        passed, error = self.result(ctx)
        res = self.explained(ctx.data, passed, error)
        out.append(res)
        return res

    def fold(self, passed: tuple[bool, ...], at: int) -> tuple[bool, int]:
        return passed[at], at + 1

    def flat(self) -> list[_CompiledCriterion]:
        return [self]

    def check(self, ctx: PreparedContext) -> bool:
        try:
            return self.program.execute(ctx.cel) is True
        except Exception:
            return False


@dataclass(slots=True)
class _CompiledGroup:
    kind: Literal["all_of", "any_of", "at_least"]
    name: str
    label: str
    n: int | None
    children: list[_CompiledCriterion | _CompiledGroup]
    label_en: str | None = None

    def run(self, ctx: PreparedContext, out: list[CriterionResult]) -> GroupResult:
        results = [c.run(ctx, out) for c in self.children]  # every child, no short-circuit
        count = sum(1 for r in results if r.passed)
        if self.kind == "all_of":
            passed = count == len(results)
        elif self.kind == "any_of":
            passed = count > 0
        else:
            assert self.n is not None
            passed = count >= self.n
        return GroupResult(
            self.kind, self.name, self.label, passed, results, self.n, label_en=self.label_en
        )

    def fold(self, passed: tuple[bool, ...], at: int) -> tuple[bool, int]:
        """This group's result from its criteria's results, which start at ``passed[at]``."""
        count = 0
        for child in self.children:
            ok, at = child.fold(passed, at)
            count += ok
        if self.kind == "all_of":
            return count == len(self.children), at
        if self.kind == "any_of":
            return count > 0, at
        assert self.n is not None
        return count >= self.n, at

    def flat(self) -> list[_CompiledCriterion]:
        return [leaf for child in self.children for leaf in child.flat()]

    def check(self, ctx: PreparedContext) -> bool:
        if self.kind == "all_of":
            return all(c.check(ctx) for c in self.children)
        if self.kind == "any_of":
            return any(c.check(ctx) for c in self.children)
        assert self.n is not None
        need = self.n
        for c in self.children:
            if c.check(ctx):
                need -= 1
                if need == 0:
                    return True
        return False


class CompiledRule:
    """A rule compiled once; evaluate it against many households."""

    __slots__ = ("_criteria", "_root", "criteria_count", "names", "roots", "rule")

    def __init__(
        self,
        rule: Criterion | AllOf | AnyOf | AtLeast,
        root: Any,
        count: int,
        names: frozenset[str],
    ) -> None:
        self.rule = rule
        self._root: _CompiledCriterion | _CompiledGroup = root
        self._criteria = tuple(self._root.flat())  # tree order, as ``Evaluation.criteria``
        self.criteria_count = count
        #: identifiers and string-literal words of every criterion (see ``names_used``)
        self.names = names
        #: the top-level variables the rule reads (the router decides ``visit`` readers last)
        self.roots = frozenset(
            path.split(".")[0].removesuffix("[]") for c in self._criteria for path in c.paths
        )

    def verdict(self, context: PreparedContext) -> Verdict:
        """Every criterion evaluated (no short-circuit), results only: the routing hot path.
        Same results as ``evaluate``; ``explain`` adds the values they read."""
        results: list[bool] = []
        errors: dict[int, str] | None = None
        for i, criterion in enumerate(self._criteria):
            ok, error = criterion.result(context)
            results.append(ok)
            if error is not None:
                errors = errors or {}
                errors[i] = error
        passed = tuple(results)
        eligible, _end = self._root.fold(passed, 0)
        return Verdict(eligible, passed, errors)

    def explain(self, data: Mapping[str, Any], verdict: Verdict) -> list[CriterionResult]:
        """Each criterion's result with the values it read from ``data`` (the context the
        verdict was reached on, as stored with the decision)."""
        if len(verdict.passed) != len(self._criteria):
            raise ValueError(
                f"a verdict of {len(verdict.passed)} criteria for a rule of {len(self._criteria)}"
            )
        errors = verdict.errors or {}
        return [
            c.explained(data, passed, errors.get(i))
            for i, (c, passed) in enumerate(zip(self._criteria, verdict.passed, strict=True))
        ]

    def evaluate(
        self, context: PreparedContext | EvaluationContext | Mapping[str, Any]
    ) -> Evaluation:
        """Evaluate every criterion and explain the whole tree."""
        ctx = prepare(context)
        flat: list[CriterionResult] = []
        tree = self._root.run(ctx, flat)
        return Evaluation(tree.passed, tree, flat)

    def check(self, context: PreparedContext | EvaluationContext | Mapping[str, Any]) -> bool:
        """Only the verdict (short-circuits; no explanation). Same answer as ``evaluate``."""
        return self._root.check(prepare(context))


# --------------------------------------------------------------------------- compile

# Built from the documented context's models, so a sample cannot drift from CONTEXT.md.
_SAMPLE_MEMBERS = (
    # age, age_months, sex, relationship, pregnant, breastfeeding, disability, schooling, working
    (45, 545, "male", "head", False, False, "none", "completed_12y", True),
    (40, 483, "female", "spouse", True, True, "mild", "not_in_school", False),
    (5, 62, "female", "child", False, False, "none", "not_yet", False),
    (12, 150, "male", "child", False, False, "moderate", "in_school", False),
    (76, 915, "female", "parent", False, False, "severe", "not_in_school", False),
)
_SAMPLE_FULL = EvaluationContext(
    members=[
        Member.model_validate(dict(zip(Member.model_fields, row, strict=True)))
        for row in _SAMPLE_MEMBERS
    ],
    registry=Registry(found=True, decile=3, enrolments=["PKH"], has_kks=True),
    region=Region.from_village("33.04.01.2001"),
    needs=["health_insurance", "schooling", "food"],
    household=Household(
        size=5, owns_land=True, house_below_standard=True, missing_documents=["birth_certificate"]
    ),
)
_SAMPLE_NOT_FOUND = _SAMPLE_FULL.model_copy(
    update={
        "members": _SAMPLE_FULL.members[:1],
        "registry": Registry(found=False),
        "needs": ["other"],
        "household": Household(size=1),
    }
)
_SAMPLE_EMPTY = EvaluationContext(
    members=[],
    registry=Registry(found=False),
    region=Region.from_village("11.01.01.1001"),
    household=Household(size=0),
)
#: (name, context, lookup errors tolerated?) -- the sample households every criterion must pass.
SAMPLE_CONTEXTS: tuple[tuple[str, dict[str, Any], bool], ...] = (
    ("registry household", _SAMPLE_FULL.to_cel(), False),
    ("household not in the registry", _SAMPLE_NOT_FOUND.to_cel(), True),
    ("empty household", _SAMPLE_EMPTY.to_cel(), True),
)
_SAMPLE_PREPARED: list[tuple[str, PreparedContext, bool]] | None = None


#: each sample household as a program officer names it
_SAMPLE_IN_WORDS = {
    "registry household": "keluarga yang terdaftar di registri",
    "household not in the registry": "keluarga yang tidak terdaftar di registri",
    "empty household": "keluarga tanpa data",
}


def _failed_on(sample: str, exc: BaseException) -> Localised:
    """Why a rule failed on a sample household (the evaluator's own words are English)."""
    where = _SAMPLE_IN_WORDS.get(sample, sample)
    return Localised(f"gagal pada {where}: {_describe(exc)}", f"on the {sample}: {_describe(exc)}")


def _samples() -> list[tuple[str, PreparedContext, bool]]:
    global _SAMPLE_PREPARED
    if _SAMPLE_PREPARED is None:
        _SAMPLE_PREPARED = [(n, PreparedContext(c), t) for n, c, t in SAMPLE_CONTEXTS]
    return _SAMPLE_PREPARED


def _compile_criterion(rule: Criterion) -> _CompiledCriterion:
    try:
        program = cel.compile(rule.cel)
    except Exception as exc:
        raise RuleError(
            rule.name, Localised(f"galat sintaks: {exc}", f"syntax error: {exc}")
        ) from exc
    binders = _binders(_strip_strings(rule.cel))
    unknown = sorted(set(program.variables()) - TOP_LEVEL_VARIABLES - set(binders))
    if unknown:
        allowed = ", ".join(sorted(TOP_LEVEL_VARIABLES))
        names = ", ".join(unknown)
        raise RuleError(
            rule.name,
            Localised(
                f"variabel tidak dikenal: {names}; yang boleh: {allowed}",
                f"unknown variable(s) {names}; allowed: {allowed}",
            ),
        )
    for sample, ctx, tolerate_lookup in _samples():
        try:
            result = program.execute(ctx.cel)
        except (KeyError, IndexError) as exc:
            if tolerate_lookup:
                continue
            raise RuleError(rule.name, _failed_on(sample, exc)) from exc
        except Exception as exc:
            raise RuleError(rule.name, _failed_on(sample, exc)) from exc
        if not isinstance(result, bool):
            got = f"{type(result).__name__} ({result!r})"
            where = _SAMPLE_IN_WORDS.get(sample, sample)
            raise RuleError(
                rule.name,
                Localised(
                    f"harus menghasilkan bool, bukan {got}, pada {where}",
                    f"must evaluate to a bool, got {got} on the {sample}",
                ),
            )
    return _CompiledCriterion(rule, program)


def compile_rule(rule: Criterion | AllOf | AnyOf | AtLeast | Mapping[str, Any]) -> CompiledRule:
    """Type-check and compile a rule; raises ``RuleError`` on the first fault."""
    if not isinstance(rule, Criterion | AllOf | AnyOf | AtLeast):
        rule = parse_rule(rule)
    seen: set[str] = set()
    names: set[str] = set()
    count = 0

    def build(node: Criterion | AllOf | AnyOf | AtLeast) -> _CompiledCriterion | _CompiledGroup:
        nonlocal count
        if node.name in seen:
            raise RuleError(
                node.name, Localised("nama ganda dalam aturan ini", "duplicate name in this rule")
            )
        seen.add(node.name)
        if isinstance(node, Criterion):
            count += 1
            names.update(_IDENT.findall(node.cel))
            return _compile_criterion(node)
        if not node.of:
            raise RuleError(
                node.name,
                Localised(
                    f"{node.kind} memerlukan minimal satu anak",
                    f"{node.kind} needs at least one child",
                ),
            )
        n: int | None = None
        if isinstance(node, AtLeast):
            if not 1 <= node.n <= len(node.of):
                n_given, allowed = f"n={node.n}", f"1..{len(node.of)}"
                raise RuleError(
                    node.name,
                    Localised(
                        f"at_least {n_given} di luar rentang {allowed}",
                        f"at_least {n_given} out of range {allowed}",
                    ),
                )
            n = node.n
        children = [build(c) for c in node.of]
        return _CompiledGroup(node.kind, node.name, node.label, n, children, node.label_en)

    root = build(rule)
    return CompiledRule(rule, root, count, frozenset(names))
