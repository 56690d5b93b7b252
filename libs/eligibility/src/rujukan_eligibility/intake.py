"""The evaluation context of an intake event: one conversion, used by the router (decisions),
the registry (explain, dry run) and replays, so every place decides on the same facts."""

from __future__ import annotations

from datetime import date
from typing import Any

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_eligibility.context import age_on


def context_from_intake(intake: IntakeSubmittedV1, as_of: date) -> dict[str, Any]:
    """The documented context (CONTEXT.md) as plain data; ages are computed at ``as_of``.

    Enumerations stay the contract's ``StrEnum`` members: they are strings (CEL, JSON and
    comparisons see their values), and reading ``.value`` costs a descriptor call each."""
    members = []
    for m in intake.members:
        years, months = age_on(m.birth_date, max(as_of, m.birth_date))
        members.append(
            {
                "age": years,
                "age_months": months,
                "sex": m.sex,
                "relationship": m.relationship,
                "pregnant": m.pregnant,
                "breastfeeding": m.breastfeeding,
                "disability": m.disability,
                "schooling": m.schooling,
                "working": m.working,
            }
        )
    registry: dict[str, Any] = {
        "found": intake.registry.found,
        "enrolments": list(intake.registry.enrolments),
        "has_kks": intake.registry.has_kks,
    }
    if intake.registry.found and intake.registry.decile is not None:
        registry["decile"] = intake.registry.decile
    parts = intake.village_code.split(".")
    return {
        "members": members,
        "registry": registry,
        "region": {
            "province": parts[0],
            "district": ".".join(parts[:2]),
            "subdistrict": ".".join(parts[:3]),
            "village": intake.village_code,
        },
        "needs": list(intake.needs),
        "household": {
            "size": len(members),
            "owns_land": intake.household.owns_land,
            "house_below_standard": intake.household.house_below_standard,
            "missing_documents": list(intake.household.missing_documents),
        },
        "visit": {"referred": []},  # filled by the router before the rules that read it
    }
