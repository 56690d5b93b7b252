"""A program as the registry keeps it, and the event that tells the router about it.

The document shape is the seed-file shape (``rujukan_eligibility.catalogue.SeedProgram``):
HSDS-like metadata plus every rule version. Versions are append-only: a published version never
changes its criteria, so a referral's recorded version always means the same rule (only the
wording of its labels may be corrected or translated).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from rujukan_contracts.events import (
    EscalationAudience,
    LocalizedText,
    Need,
    ProgramPublishedV1,
    SlaDays,
)
from rujukan_eligibility.catalogue import RuleVersion, SeedProgram
from rujukan_eligibility.rules import CompiledRule, RuleError, compile_rule
from rujukan_platform.language import Localised
from rujukan_platform.problems import Problem, invalid_rule

IMMUTABLE = Localised(
    "Versi yang sudah terbit tidak dapat diubah", "Published versions are immutable"
)


def compiled_or_refused(rule: Any, field: str = "rule") -> CompiledRule:
    """The rule compiled, or a 422 naming ``field``, the criterion at fault and why."""
    try:
        return compile_rule(rule)
    except RuleError as exc:
        raise invalid_rule(field, exc.criterion, exc.reason) from exc


def check_rules(program: SeedProgram) -> None:
    """Every rule version compiles, else a 422 naming the version, criterion and fault."""
    for i, version in enumerate(program.versions):
        compiled_or_refused(version.rule, f"versions[{i}].rule")


def _meaning(version: RuleVersion) -> dict[str, Any]:
    """A version without its rule's labels: what decides. A label's wording (or its
    translation) may be corrected in a published version; its criteria never change."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("label", "label_en")}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    data: dict[str, Any] = version.model_dump(mode="json")
    data["rule"] = strip(data["rule"])
    return data


def check_append_only(old: SeedProgram, new: SeedProgram) -> None:
    old_versions = {v.version: v for v in old.versions}
    for i, v in enumerate(new.versions):
        prior = old_versions.pop(v.version, None)
        if prior is not None and _meaning(prior) != _meaning(v):
            raise Problem(
                422,
                IMMUTABLE,
                Localised(
                    f"versions[{i}]: versi {v.version} sudah ada; tambahkan versi baru",
                    f"versions[{i}]: version {v.version} already exists; add a new version instead",
                ),
                errors=[
                    {
                        "field": f"versions[{i}]",
                        "reason": Localised(
                            "versi yang sudah terbit tidak pernah berubah",
                            "published versions never change",
                        ),
                    }
                ],
            )
    if old_versions:
        missing = ", ".join(str(n) for n in sorted(old_versions))
        raise Problem(
            422,
            IMMUTABLE,
            Localised(
                f"versions: versi {missing} tidak boleh dihapus",
                f"versions: version(s) {missing} cannot be removed",
            ),
            errors=[
                {
                    "field": "versions",
                    "reason": Localised(f"versi {missing} hilang", f"missing version(s) {missing}"),
                }
            ],
        )


def published_event(program: SeedProgram, *, today: date | None = None) -> ProgramPublishedV1:
    """The catalogue event: the program with the rule version in effect today."""
    current = program.version_at(today or date.today()) or program.versions[0]
    return ProgramPublishedV1(
        code=program.code,
        version=current.version,
        effective_from=current.effective_from,
        status=program.status,
        name=LocalizedText(id=program.name.id, en=program.name.en),
        owner_agency=program.owner_agency,
        level=program.level,
        service_area=list(program.service_area),
        needs_served=[Need(n) for n in program.needs_served],
        proactive=program.proactive,
        handles=list(program.handles),
        sla_days=SlaDays(**program.sla_days.model_dump()),
        capacity=program.capacity,
        capacity_period=program.capacity_period,
        when_full=program.when_full,
        priority_lanes=list(program.priority_lanes),
        required_documents=list(program.required_documents),
        rule=current.rule.model_dump(mode="json"),
        escalation=[EscalationAudience(**level.model_dump()) for level in program.escalation],
        published_at=datetime.now(UTC),
    )
