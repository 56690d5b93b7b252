"""Fast lanes (pregnant or breastfeeding, elderly, disability, victims of violence)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from rujukan_contracts.events import Disability, MemberFacts, PriorityLane

ELDERLY_AGE = 60


def age_on(birth_date: date, today: date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def derive_lanes(
    members: Iterable[MemberFacts], declared: Iterable[PriorityLane], today: date
) -> list[PriorityLane]:
    """Lanes the operator declared plus those the members' facts imply, in a stable order."""
    lanes = set(declared)
    for m in members:
        if m.pregnant or m.breastfeeding:
            lanes.add(PriorityLane.pregnant_or_breastfeeding)
        if age_on(m.birth_date, today) >= ELDERLY_AGE:
            lanes.add(PriorityLane.elderly)
        if m.disability != Disability.none:
            lanes.add(PriorityLane.disability)
    return [lane for lane in PriorityLane if lane in lanes]
