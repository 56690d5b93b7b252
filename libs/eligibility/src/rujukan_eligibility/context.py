"""The documented evaluation context that eligibility rules (CEL) are evaluated against.

A context is built **once per household** (``EvaluationContext.to_cel()`` then
``prepare()``), and the prepared value is reused for every criterion of every program.
The shape is described for rule authors in ``CONTEXT_DOC`` (same text as ``CONTEXT.md``).
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from rujukan_contracts.text import Line

Sex = Literal["female", "male"]
Relationship = Literal["head", "spouse", "child", "parent", "other"]
Disability = Literal["none", "mild", "moderate", "severe"]
Schooling = Literal["not_yet", "in_school", "not_in_school", "completed_12y"]
Need = Literal[
    "health_insurance",
    "schooling",
    "food",
    "cash",
    "housing",
    "disability_care",
    "elderly_care",
    "civil_documents",
    "other",
]

NEEDS: tuple[str, ...] = get_args(Need)

#: The only top-level names a rule may reference.
TOP_LEVEL_VARIABLES: frozenset[str] = frozenset(
    {"members", "registry", "region", "needs", "household", "visit"}
)

_REGION_PATTERNS = {
    "province": r"^\d{2}$",
    "district": r"^\d{2}\.\d{2}$",
    "subdistrict": r"^\d{2}\.\d{2}\.\d{2}$",
    "village": r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Member(_Model):
    """One member of the household (one person on the family card, KK)."""

    age: StrictInt = Field(ge=0, le=130, description="whole years at the evaluation date")
    age_months: StrictInt = Field(
        ge=0, le=130 * 12, description="whole months at the evaluation date"
    )
    sex: Sex
    relationship: Relationship
    pregnant: StrictBool = False
    breastfeeding: StrictBool = False
    disability: Disability = "none"
    schooling: Schooling = "not_yet"
    working: StrictBool = False


class Registry(_Model):
    """What the social registry (DTKS / DTSEN) says about the household."""

    found: StrictBool
    decile: StrictInt | None = Field(default=None, ge=1, le=10)
    enrolments: list[Line] = Field(default_factory=list)
    has_kks: StrictBool = False

    @field_validator("decile")
    @classmethod
    def _decile_only_when_found(cls, v: int | None, info: Any) -> int | None:
        if v is not None and info.data.get("found") is False:
            raise ValueError("decile must be absent when the household is not in the registry")
        return v


class Region(_Model):
    """Kemendagri region codes of the household's village, every level written out."""

    province: str = Field(pattern=_REGION_PATTERNS["province"])
    district: str = Field(pattern=_REGION_PATTERNS["district"])
    subdistrict: str = Field(pattern=_REGION_PATTERNS["subdistrict"])
    village: str = Field(pattern=_REGION_PATTERNS["village"])

    @classmethod
    def from_village(cls, village: str) -> Region:
        """``Region.from_village("33.04.01.2001")`` fills every level from the village code."""
        parts = village.split(".")
        if len(parts) != 4:
            raise ValueError(f"not a village code: {village!r}")
        return cls(
            province=parts[0],
            district=".".join(parts[:2]),
            subdistrict=".".join(parts[:3]),
            village=village,
        )


class Household(_Model):
    """Facts about the household as a whole."""

    size: StrictInt = Field(ge=0)
    owns_land: StrictBool = False
    house_below_standard: StrictBool = False
    missing_documents: list[Line] = Field(default_factory=list)


class Visit(_Model):
    """What the router decided in this visit before the rules that read ``visit`` ran (they run
    after every other program's rule, so the value is the same whatever the catalogue order)."""

    referred: list[Line] = Field(
        default_factory=list,
        description="program codes the household is referred to in this visit, or still has "
        "an open referral to from an earlier one",
    )


class EvaluationContext(_Model):
    """Everything a rule may read. Build once per household; reuse for every program."""

    members: list[Member]
    registry: Registry
    region: Region
    needs: list[Need] = Field(default_factory=list)
    household: Household
    visit: Visit = Field(default_factory=Visit)

    def to_cel(self) -> dict[str, Any]:
        """Plain dicts/lists/str/int/bool for CEL. A value not known (``None``: only
        ``registry.decile``) is absent, as ``has()`` in a rule expects."""
        return self.model_dump(exclude_none=True)


def age_on(birth_date: date, as_of: date) -> tuple[int, int]:
    """Whole years and whole months between ``birth_date`` and ``as_of``.

    A person born on 29 February has a birthday on 1 March in common years.
    """
    if as_of < birth_date:
        raise ValueError("as_of is before birth_date")
    months = (as_of.year - birth_date.year) * 12 + (as_of.month - birth_date.month)
    if as_of.day < birth_date.day:
        months -= 1
    return months // 12, months


def member_from_birth_date(birth_date: date, as_of: date, **flags: Any) -> Member:
    """A ``Member`` with ``age``/``age_months`` computed at ``as_of``; ``flags`` are the rest.

    >>> member_from_birth_date(date(2020, 5, 17), date(2024, 5, 16), sex="female",
    ...                        relationship="child").age
    3
    """
    years, months = age_on(birth_date, as_of)
    return Member(age=years, age_months=months, **flags)


#: Rule-author documentation of every variable (``CONTEXT.md``, shipped in the package).
CONTEXT_DOC: str = (resources.files("rujukan_eligibility") / "CONTEXT.md").read_text(
    encoding="utf-8"
)
