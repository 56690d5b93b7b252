"""Which rejections let the router refer the household to the next eligible program.

A program that says no for its own reasons (full, unreachable, not eligible after a visit) does
not end the household's need; a resident who refused, no longer needs it, or cannot be reached
does — referring onward then would only repeat the failure.
"""

from __future__ import annotations

from rujukan_contracts.events import ReasonCode

REROUTABLE = frozenset(
    {
        ReasonCode.lack_of_capacity,
        ReasonCode.unable_to_contact_referred_to_organization,
        ReasonCode.not_eligible,
        ReasonCode.other,
    }
)


def allows_rerouting(reason: ReasonCode | None) -> bool:
    return reason in REROUTABLE
