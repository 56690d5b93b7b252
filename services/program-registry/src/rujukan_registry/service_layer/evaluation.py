"""Explain a program's decision for one household, and dry-run a draft rule on recent intakes
(queries: they change nothing).

The registry keeps the facts of recent intakes (``intake_facts``, from ``intake.submitted``;
no personal data) so a rule author sees, before publishing, who a draft would newly include or
exclude compared with the version in effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import ConfigDict

from rujukan_eligibility.catalogue import SeedProgram
from rujukan_eligibility.intake import context_from_intake
from rujukan_eligibility.rules import CompiledRule, PreparedContext
from rujukan_platform.access import not_found
from rujukan_platform.auth import Principal
from rujukan_platform.language import Localised
from rujukan_platform.problems import refused
from rujukan_registry.adapters.repository import IntakeFactsRepository

UNKNOWN_VERSION = Localised("Versi tidak dikenal", "Unknown version")


@dataclass(slots=True)
class DryRunResult:
    """Whom a draft rule would newly include or exclude among recent intakes."""

    # counted as the dry run goes through the intakes; every field is in every answer
    __pydantic_config__ = ConfigDict(json_schema_serialization_defaults_required=True)

    program: str
    compared_with_version: int
    window_days: int
    intakes_evaluated: int = 0
    eligible_now: int = 0
    eligible_with_draft: int = 0
    newly_included: int = 0
    newly_excluded: int = 0
    sample_newly_included: list[str] = field(default_factory=list)
    sample_newly_excluded: list[str] = field(default_factory=list)


def rule_of(program: SeedProgram, version: int | None) -> tuple[int, CompiledRule]:
    if version is None:
        return program.current_version().version, program.compiled()
    if version not in {v.version for v in program.versions}:
        none = Localised(
            f"program {program.code} tidak punya versi {version}",
            f"program {program.code} has no version {version}",
        )
        raise refused([{"field": "version", "reason": none}], UNKNOWN_VERSION)
    return version, program.compiled(version)


async def intake_context(
    facts: IntakeFactsRepository,
    intake_id: UUID,
    as_of: date,
    *,
    principal: Principal,
    program: str,
) -> dict[str, Any]:
    """A stored intake's context for explaining ``program``, if the caller may see the intake
    (its region; an agency, only for its own program): else it does not exist for them."""
    stored = await facts.get(intake_id)
    if stored is None or not principal.may_see(stored.village_code, program):
        raise not_found(
            Localised(
                f"intake {intake_id} (registri hanya menyimpan intake terbaru)",
                f"intake {intake_id} (the registry keeps recent intakes only)",
            )
        )
    return context_from_intake(stored.intake, as_of)


async def dry_run(
    facts: IntakeFactsRepository,
    program: SeedProgram,
    draft: CompiledRule,
    *,
    days: int,
    as_of: date,
    principal: Principal,
    sample: int = 20,
) -> DryRunResult:
    """Compare the draft with the version in effect over the intakes of the last ``days`` that
    the caller may see (a village program's officer: their villages)."""
    current_version, current = rule_of(program, None)
    since = datetime.now(UTC) - timedelta(days=days)
    result = DryRunResult(program.code, compared_with_version=current_version, window_days=days)
    async for row in facts.since(since):
        if not program.serves_region(row.village_code) or not principal.may_see(
            row.village_code, program.code
        ):
            continue
        ctx = PreparedContext(context_from_intake(row.intake, as_of))
        before, after = current.check(ctx), draft.check(ctx)
        result.intakes_evaluated += 1
        result.eligible_now += before
        result.eligible_with_draft += after
        if after and not before:
            result.newly_included += 1
            if len(result.sample_newly_included) < sample:
                result.sample_newly_included.append(str(row.intake_id))
        elif before and not after:
            result.newly_excluded += 1
            if len(result.sample_newly_excluded) < sample:
                result.sample_newly_excluded.append(str(row.intake_id))
    return result
