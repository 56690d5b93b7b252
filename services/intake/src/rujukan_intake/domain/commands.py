"""What intake is asked to do over HTTP, and what it answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from rujukan_intake.domain.intake import IntakeCreate
from rujukan_intake.domain.visits import HouseholdMatch
from rujukan_platform.auth import Principal
from rujukan_platform.problems import Problem


@dataclass(frozen=True, slots=True)
class IntakeItem:
    intake: IntakeCreate
    #: who submits it: scopes its region check and its key, and is recorded with it
    by: Principal
    #: the client's key for safe retries, scoped to the principal
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class SubmitIntakes:
    """Record intakes (one from the front office, hundreds from the bulk import, the single
    ones of several officers arriving together); each item is stored, answered with an earlier
    intake, or refused on its own."""

    items: Sequence[IntakeItem]
    #: the submission time (tests fix it)
    now: datetime | None = None


@dataclass(slots=True)
class Submitted:
    """What became of one submitted intake: new (a first or a follow-up visit), a duplicate of
    an earlier one, or refused."""

    intake_id: UUID | None = None
    household_id: UUID | None = None
    duplicate: bool = False
    problem: Problem | None = None
    #: the household's first visit, when this intake (or the one a duplicate answers with)
    #: is a follow-up
    follow_up_of: UUID | None = None
    #: other households (other KKs) its members already belong to, by NIK
    possible_duplicate_of: tuple[HouseholdMatch, ...] = ()


@dataclass(frozen=True, slots=True)
class ReadHousehold:
    """Who a referral is about, for an officer who must serve the family: a command, since
    every read is written to the identity-read log with its stated purpose. The referral is
    named by its id or by its reference (canonical, ``normalise_reference``)."""

    referral_id: UUID | None
    by: Principal
    purpose: str
    reference: str | None = None
