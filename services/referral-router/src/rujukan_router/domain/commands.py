"""What the router is asked to do: by agencies and operators over HTTP, and by its own jobs.

Each command is handled by one handler in ``service_layer/handlers.py`` in a unit of work of its
own (``await handle(Command(...))`` in a route). Events the router consumes (intakes, outcomes
on Kafka, the relay's ``Published``) are in the same table; these are the changes of state
nobody published as an event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from rujukan_contracts.events import OutcomeKind, ReasonCode, RegistryFacts
from rujukan_platform.idempotency import fingerprint


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    """An agency's answer on a referral (``POST /v1/referrals/{id}/outcome``, or an event on
    its outcome topic). ``program_code``: the program the reporter speaks for, checked against
    the referral's (None: already checked by the caller). ``idempotency_key`` names one report
    on this referral, whoever sends it (the HTTP header, or the event id from Kafka)."""

    referral_id: UUID
    outcome: OutcomeKind
    reason_code: ReasonCode | None
    note: str | None
    actor: str
    idempotency_key: str | None = None
    program_code: str | None = None
    at: datetime | None = None
    #: the agency's words for the resident; ``note`` stays internal
    public_note: str | None = None

    @property
    def fingerprint(self) -> str:
        """The whole report, as the HTTP body's model dumps it (outcome, reason_code, note,
        public_note when given: a report without one keeps the fingerprint stored before);
        the referral and the sender are not part of it (the key is scoped to the referral)."""
        report: dict[str, str | None] = {
            "outcome": self.outcome.value,
            "reason_code": self.reason_code.value if self.reason_code else None,
            "note": self.note,
        }
        if self.public_note is not None:
            report["public_note"] = self.public_note
        return fingerprint(report)


@dataclass(frozen=True, slots=True)
class WithdrawReferral:
    """An operator (or an administrator) withdraws a referral (``POST
    /v1/referrals/{id}/withdraw``): ``reason`` is the officer's own words, in Indonesian,
    ``reason_code`` a Primero code when one fits. The same withdrawal again is answered as the
    referral is now; returns the referral."""

    referral_id: UUID
    reason: str
    actor: str
    reason_code: ReasonCode | None = None

    @property
    def fingerprint(self) -> str:
        """What makes two withdrawals the same: the code and the words (not who sent them)."""
        code = self.reason_code.value if self.reason_code else None
        return fingerprint({"reason_code": code, "reason": self.reason})


@dataclass(frozen=True, slots=True)
class CreateReplay:
    """A replay job (``POST /v1/replays``): re-evaluate every household's latest intake.
    ``rule``: a draft rule (its JSON) for the one program named, a what-if (dry run only);
    ``start=False``: a draft that takes more registry updates first. Returns the job's id."""

    requested_by: str
    apply: bool = False
    programs: Sequence[str] | None = None
    rule: Mapping[str, Any] | None = None
    since: datetime | None = None
    registry_updates: Mapping[UUID, RegistryFacts] = field(default_factory=dict)
    start: bool = True


@dataclass(frozen=True, slots=True)
class AddRegistryUpdates:
    """More refreshed registry facts for a draft replay; returns how many were added."""

    replay_id: UUID
    updates: Mapping[UUID, RegistryFacts]


@dataclass(frozen=True, slots=True)
class StartReplay:
    """Start a draft replay."""

    replay_id: UUID


@dataclass(frozen=True, slots=True)
class CancelReplay:
    """Stop a replay after the chunk in progress (what it applied stays)."""

    replay_id: UUID


@dataclass(frozen=True, slots=True)
class FireDueTimers:
    """Escalate or expire referrals past their deadline (the SLA job, every replica);
    returns how many fired."""

    now: datetime
    grace: timedelta
    limit: int = 200
