"""A resident withdraws consent they gave at intake (pure rules; ``service_layer/consent.py``
applies them).

Consent travels with each intake, so a withdrawal changes every stored intake of the household:
the purposes withdrawn leave its ``purposes``, and the withdrawal is appended to its
``withdrawn`` list (what was withdrawn, when, by which officer's account) so the intake still
shows what the resident first agreed to and what they took back. A later intake asks for consent
afresh; nothing here stops it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from rujukan_platform.auth import Principal

Purpose = Literal["referral", "notification"]


@dataclass(frozen=True, slots=True)
class WithdrawConsent:
    """A Puskesos officer records that the household's resident withdrew ``purposes``."""

    household_id: UUID
    purposes: frozenset[Purpose]
    by: Principal


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A withdrawal as recorded; ``repeated``: the purposes were already withdrawn, and this is
    the withdrawal that took them (nothing changed)."""

    withdrawal_id: UUID
    household_id: UUID
    purposes: tuple[str, ...]
    withdrawn_at: datetime
    recorded_by: str
    intakes: int
    repeated: bool = False


def still_given(
    consents: Sequence[Mapping[str, Any]], purposes: Iterable[Purpose]
) -> list[Purpose]:
    """Which of ``purposes`` some stored intake still consents to, in order."""
    return sorted(p for p in set(purposes) if any(p in c.get("purposes", []) for c in consents))


def withdrawn_from(
    consent: Mapping[str, Any], purposes: Iterable[str], record: Mapping[str, Any]
) -> dict[str, Any]:
    """``consent`` without ``purposes``, the withdrawal ``record`` appended to its history."""
    gone = set(purposes)
    return {
        **consent,
        "purposes": [p for p in consent.get("purposes", []) if p not in gone],
        "withdrawn": [*consent.get("withdrawn", []), dict(record)],
    }


def last_withdrawal(
    consents: Iterable[Mapping[str, Any]], purposes: Iterable[str]
) -> Mapping[str, Any] | None:
    """The latest recorded withdrawal that took any of ``purposes``."""
    wanted = set(purposes)
    found = [
        w for c in consents for w in c.get("withdrawn", []) if wanted & set(w.get("purposes", []))
    ]
    return max(found, key=lambda w: str(w["withdrawn_at"]), default=None)
