"""Stored decisions, explained: every criterion with its result and the values it read.

A decision row holds the facts the rules read and, per program, the verdict (each criterion's
result) and the program version. The explanation is rendered from those with that version's
rule — the live one, or the one kept in ``program_versions`` — and equals what the evaluation
itself would have reported (``CompiledRule.explain``). Rows migrated from before revision 0003
carry their explanation as it was stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_eligibility.rules import CompiledRule, RuleError, Verdict, compile_rule
from rujukan_router.adapters.events import decision_payload
from rujukan_router.adapters.tables import decisions, program_versions
from rujukan_router.domain.catalogue import Catalogue


class RuleBook:
    """The compiled rule of every program version decisions refer to (compiled once)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue
        self._compiled: dict[tuple[str, int], CompiledRule | None] = {}

    async def load(self, session: AsyncSession, versions: Iterable[tuple[str, int]]) -> None:
        missing = set()
        for code, version in versions:
            live = self._catalogue.get(code)
            if live is not None and live.event.version == version:
                self._compiled[(code, version)] = live.rule
            elif (code, version) not in self._compiled:
                missing.add((code, version))
        if not missing:
            return
        rows = await session.execute(
            select(
                program_versions.c.code, program_versions.c.version, program_versions.c.program
            ).where(program_versions.c.code.in_({c for c, _v in missing}))
        )
        for code, version, program in rows.all():
            if (code, version) in missing:
                try:
                    self._compiled[(code, version)] = compile_rule(program["rule"])
                except (RuleError, ValueError):
                    self._compiled[(code, version)] = None
        for key in missing:
            self._compiled.setdefault(key, None)

    def rule(self, code: str, version: int) -> CompiledRule | None:
        return self._compiled.get((code, version))


def explain_program(
    entry: dict[str, Any], facts: dict[str, Any], rules: RuleBook
) -> list[dict[str, Any]] | None:
    """The criteria of one program's stored verdict, explained; None if the version's rule is
    not known here."""
    if "criteria" in entry:  # stored explained, before revision 0003
        criteria: list[dict[str, Any]] = entry["criteria"]
        return criteria
    if entry.get("skipped") is not None and not entry.get("passed"):
        return []  # not evaluated: no consent, enrolled, an open referral
    rule = rules.rule(entry["program_code"], entry["program_version"])
    if rule is None:
        return None
    errors = {int(i): e for i, e in (entry.get("errors") or {}).items()}
    verdict = Verdict(bool(entry["eligible"]), tuple(entry["passed"]), errors or None)
    try:
        return [c.to_dict() for c in rule.explain(facts, verdict)]
    except ValueError:  # a verdict that does not fit the rule: never explain it wrongly
        return None


def program_view(entry: dict[str, Any], facts: dict[str, Any], rules: RuleBook) -> dict[str, Any]:
    criteria = explain_program(entry, facts, rules)
    view = {
        "program_code": entry["program_code"],
        "program_version": entry["program_version"],
        "eligible": entry["eligible"],
        "skipped": entry.get("skipped"),
        "rank": entry.get("rank", 0),
        "criteria": criteria or [],
    }
    if criteria is None:
        view["explanation"] = "unavailable: this program version's rule is not known here"
    return view


def decision_view(row: Any, rules: RuleBook, programs: set[str] | None = None) -> dict[str, Any]:
    """One stored evaluation, every program (or those in ``programs``) explained."""
    return {
        "decision_id": row.id,
        "intake_id": row.intake_id,
        "cause": row.cause,
        "evaluated_at": row.evaluated_at,
        "facts": row.facts,
        "programs": [
            program_view(entry, row.facts, rules)
            for entry in row.programs
            if programs is None or entry["program_code"] in programs
        ],
    }


def referral_decision(referral: Any, row: Any | None, rules: RuleBook) -> dict[str, Any] | None:
    """The decision a referral was made on, as its ``ReferralCreatedV1`` carried it."""
    if row is None:
        return None
    entry = next((p for p in row.programs if p["program_code"] == referral.program_code), None)
    at: datetime = row.evaluated_at
    if referral.kind == "complaint" or entry is None:
        # a complaint reaches the program it is about, whatever its eligibility
        return decision_payload(
            program_code=referral.program_code,
            program_version=referral.program_version,
            eligible=True,
            criteria=[],
            evaluated_at=at,
        )
    return decision_payload(
        program_code=entry["program_code"],
        program_version=entry["program_version"],
        eligible=entry["eligible"],
        criteria=explain_program(entry, row.facts, rules) or [],
        evaluated_at=entry.get("evaluated_at", at),
    )


async def decisions_by_id(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, Any]:
    rows = await session.execute(select(decisions).where(decisions.c.id.in_(list(ids))))
    return {r.id: r for r in rows.all()}


async def decisions_of_intake(session: AsyncSession, intake_id: UUID) -> list[Any]:
    rows = await session.execute(
        select(decisions)
        .where(decisions.c.intake_id == intake_id)
        .order_by(decisions.c.evaluated_at, decisions.c.id)
    )
    return list(rows.all())


def versions_in(rows: Iterable[Any]) -> set[tuple[str, int]]:
    return {(p["program_code"], p["program_version"]) for r in rows for p in r.programs}
