"""What the registry is asked to do: by program owners over HTTP, by its jobs and its seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from rujukan_eligibility.catalogue import RuleVersion, SeedProgram
from rujukan_platform.auth import Principal


@dataclass(frozen=True, slots=True)
class CreateProgram:
    program: SeedProgram
    by: Principal


@dataclass(frozen=True, slots=True)
class ReplaceProgram:
    """Replace metadata and append versions; ``if_match`` must name the current revision."""

    code: str
    program: SeedProgram
    by: Principal
    if_match: int | None


@dataclass(frozen=True, slots=True)
class AddVersion:
    """Append one rule version (number = last + 1, effective after the last one)."""

    code: str
    version: RuleVersion
    by: Principal
    if_match: int | None


@dataclass(frozen=True, slots=True)
class PublishDueVersions:
    """Publish programs whose version in effect changed with the date."""

    today: date


@dataclass(frozen=True, slots=True)
class ForgetOldIntakes:
    now: datetime


@dataclass(frozen=True, slots=True)
class SeedCatalogue:
    """Load the seed files idempotently: create what is missing, update what changed."""

    seed_dir: Path


@dataclass(frozen=True, slots=True)
class Saved:
    """A program as a change left it."""

    program: SeedProgram
    revision: int
