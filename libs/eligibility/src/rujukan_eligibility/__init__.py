"""Eligibility rules for Rujukan: a documented context, CEL criteria, explainable verdicts.

- ``rujukan_eligibility.context``: ``EvaluationContext`` (pydantic) and ``to_cel()``,
  ``member_from_birth_date``, ``CONTEXT_DOC`` (the rule-author documentation, CONTEXT.md).
- ``rujukan_eligibility.rules``: ``Criterion``/``AllOf``/``AnyOf``/``AtLeast``,
  ``compile_rule`` -> ``CompiledRule.evaluate`` -> ``Evaluation``; ``RuleError``.
- ``rujukan_eligibility.catalogue``: ``SeedProgram`` and ``load_seed_programs``.
"""

from rujukan_eligibility.catalogue import SeedProgram, load_seed_programs
from rujukan_eligibility.context import (
    CONTEXT_DOC,
    EvaluationContext,
    Household,
    Member,
    Region,
    Registry,
    member_from_birth_date,
)
from rujukan_eligibility.rules import (
    AllOf,
    AnyOf,
    AtLeast,
    CompiledRule,
    Criterion,
    CriterionResult,
    Evaluation,
    GroupResult,
    PreparedContext,
    Rule,
    RuleError,
    compile_rule,
    names_used,
    parse_rule,
    prepare,
)

__all__ = [
    "CONTEXT_DOC",
    "AllOf",
    "AnyOf",
    "AtLeast",
    "CompiledRule",
    "Criterion",
    "CriterionResult",
    "Evaluation",
    "EvaluationContext",
    "GroupResult",
    "Household",
    "Member",
    "PreparedContext",
    "Region",
    "Registry",
    "Rule",
    "RuleError",
    "SeedProgram",
    "compile_rule",
    "load_seed_programs",
    "member_from_birth_date",
    "names_used",
    "parse_rule",
    "prepare",
]
