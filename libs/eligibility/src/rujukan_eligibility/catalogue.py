"""The program catalogue seed files: one YAML per program, every rule version compiled.

``service_area`` is a list of Kemendagri region-code prefixes (``"33"`` = Central Java,
``"33.04"`` = Banjarnegara); an **empty list means nationwide**. SLA days are Rujukan's own
defaults (no regulation publishes them). ``capacity: null`` means unlimited.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictInt, model_validator

from rujukan_contracts.events import (
    ESCALATION_CHAIN,
    EscalationRole,
    PriorityLane,
    check_escalation_address,
)
from rujukan_contracts.text import Day, Line, Text
from rujukan_eligibility.context import Need
from rujukan_eligibility.rules import AllOf, AnyOf, AtLeast, CompiledRule, Criterion, compile_rule

__all__ = [
    "Contact",
    "EscalationLevel",
    "LaneSla",
    "LocalisedLine",
    "LocalisedText",
    "RuleVersion",
    "SeedProgram",
    "SlaDays",
    "Source",
    "load_seed_program",
    "load_seed_programs",
]

CODE_PATTERN = r"^[A-Z][A-Z0-9-]{1,31}$"  # the same as ProgramPublishedV1.code
REGION_PREFIX_PATTERN = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalisedLine(_Model):
    """A name in both languages: one line each."""

    id: Line = Field(min_length=1)
    en: Line = Field(min_length=1)


class LocalisedText(_Model):
    """A description in both languages: free text (tab and newline allowed)."""

    id: Text = Field(min_length=1)
    en: Text = Field(min_length=1)


class LaneSla(_Model):
    """A priority lane's faster steps (e.g. one working day to receive for a pregnant woman)."""

    receive: StrictInt | None = Field(default=None, ge=1)
    decide: StrictInt | None = Field(default=None, ge=1)
    serve: StrictInt | None = Field(default=None, ge=1)


class SlaDays(_Model):
    receive: StrictInt = Field(ge=1, description="days for the program owner to acknowledge")
    decide: StrictInt = Field(ge=1, description="days to accept or reject")
    serve: StrictInt = Field(ge=1, description="days to deliver the service once accepted")
    lanes: dict[PriorityLane, LaneSla] = Field(
        default_factory=dict, description="faster steps per priority lane (the fastest wins)"
    )
    working_days: bool = Field(
        default=True,
        description="count working days (weekends, national holidays, cuti bersama and "
        "closed_dates excluded) rather than calendar days",
    )
    closed_dates: list[Day] = Field(
        default_factory=list, description="the program office's own days off"
    )


class Contact(_Model):
    office: Line
    phone: Line | None = None
    email: Line | None = None
    url: Line | None = None


class EscalationLevel(_Model):
    """Who hears of a late referral at one level of the chain (``ESCALATION_CHAIN``), and how:
    ``inbox`` (``agency:PKH:33.04``), ``webhook`` (a name the notifications deployment
    configures; never a URL) or ``email`` (an official's work address)."""

    role: EscalationRole
    channel: Literal["inbox", "webhook", "email"]
    address: Line
    office: Line | None = Field(default=None, description="the office, as people name it")

    @model_validator(mode="after")
    def _check(self) -> EscalationLevel:
        check_escalation_address(self.channel, self.address)
        return self


class Source(_Model):
    title: Line
    url_or_reference: Line


class RuleVersion(_Model):
    version: StrictInt = Field(ge=1)
    effective_from: Day
    notes: Text = ""
    rule: Criterion | AllOf | AnyOf | AtLeast = Field(discriminator="kind")


class SeedProgram(_Model):
    code: str = Field(pattern=CODE_PATTERN)
    name: LocalisedLine
    description: LocalisedText
    owner_agency: Line
    level: Literal["national", "province", "district", "village", "non_government"]
    service_area: list[Line] = Field(
        default_factory=list,
        description="region-code prefixes; empty = nationwide",
    )
    status: Literal["active", "paused", "retired"] = "active"
    application_process: LocalisedText | None = Field(
        default=None, description="how a resident applies (HSDS application_process)"
    )
    sla_days: SlaDays
    capacity: StrictInt | None = Field(
        default=None, ge=0, description="referrals accepted per capacity_period; null = unlimited"
    )
    capacity_period: Literal["month", "quarter", "year"] = "month"
    when_full: Literal["queue", "refer_onward", "stop"] = Field(
        default="queue",
        description="at capacity: queue referrals, refer to the next eligible program, or stop",
    )
    priority_lanes: list[Line] = Field(default_factory=list)
    required_documents: list[Line] = Field(default_factory=list)
    contact: Contact
    needs_served: list[Need] = Field(
        default_factory=list, description="at least one, unless it handles complaints only"
    )
    handles: list[Literal["needs", "complaints"]] = Field(
        default=["needs"],
        min_length=1,
        description="'needs': referred for the needs it serves; 'complaints': a complaint desk "
        "(pengaduan) for complaints that name no program serving the village",
    )
    proactive: bool = Field(
        default=False,
        description="referred whenever its rule says eligible, even if no stated need names it "
        "(registry inclusion, civil documents); never on a visit without needs",
    )
    escalation: list[EscalationLevel] = Field(
        default_factory=list,
        description="the chain a late step climbs, in ESCALATION_CHAIN order; a level left out "
        "is the regency's Dinas Sosial inbox",
    )
    sources: list[Source] = Field(min_length=1)
    versions: list[RuleVersion] = Field(min_length=1)

    _compiled: dict[int, CompiledRule] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> SeedProgram:
        for prefix in self.service_area:
            if not re.fullmatch(REGION_PREFIX_PATTERN, prefix):
                raise ValueError(f"service_area entry {prefix!r} is not a region-code prefix")
        if "needs" in self.handles and not self.needs_served:
            raise ValueError("needs_served: a program that handles needs serves at least one")
        roles = [level.role for level in self.escalation]
        if roles != [r for r in ESCALATION_CHAIN if r in roles]:
            raise ValueError(f"escalation: each role once, in the order {ESCALATION_CHAIN}")
        numbers = [v.version for v in self.versions]
        if numbers != sorted(set(numbers)):
            raise ValueError("versions must be listed in increasing, unique version order")
        dates = [v.effective_from for v in self.versions]
        if dates != sorted(set(dates)):
            raise ValueError("effective_from must increase with the version number")
        return self

    def compile_all(self) -> dict[int, CompiledRule]:
        """Compile every rule version (raises ``RuleError``); cached."""
        if not self._compiled:
            self._compiled.update({v.version: compile_rule(v.rule) for v in self.versions})
        return self._compiled

    def version_at(self, on: date) -> RuleVersion | None:
        """The version in effect on a date (latest ``effective_from`` <= date)."""
        current = None
        for v in self.versions:
            if v.effective_from <= on:
                current = v
        return current

    def current_version(self) -> RuleVersion:
        v = self.version_at(date.today())
        return v if v is not None else self.versions[0]

    def compiled(self, version: int | None = None) -> CompiledRule:
        """The compiled rule of a version (default: the one in effect today)."""
        number = self.current_version().version if version is None else version
        return self.compile_all()[number]

    def serves_region(self, village: str) -> bool:
        """Whether a village code (``33.04.01.2001``) lies in the service area."""
        if not self.service_area:
            return True
        return any(village == p or village.startswith(p + ".") for p in self.service_area)


def load_seed_program(path: Path) -> SeedProgram:
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    program = SeedProgram.model_validate(data)
    if path.stem != program.code:
        raise ValueError(f"{path.name}: file name must be <code>.yaml ({program.code})")
    program.compile_all()
    return program


def load_seed_programs(path: str | Path) -> list[SeedProgram]:
    """Validate every ``*.yaml`` under ``path`` (a directory) and compile every rule version.

    Raises ``pydantic.ValidationError``, ``RuleError`` or ``ValueError`` naming the file.
    """
    root = Path(path)
    programs: list[SeedProgram] = []
    for file in sorted(root.glob("*.yaml")):
        try:
            programs.append(load_seed_program(file))
        except Exception as exc:
            exc.add_note(f"in seed file {file}")
            raise
    codes = [p.code for p in programs]
    if len(codes) != len(set(codes)):
        raise ValueError(f"duplicate program codes in {root}")
    return programs
