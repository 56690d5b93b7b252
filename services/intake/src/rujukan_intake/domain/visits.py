"""A household's visits: a repeat, a follow-up or a first visit, and the other households its
members already belong to.

Within the duplicate window a second intake of a household is a *repeat* when it says exactly
what an earlier visit said (the form sent twice: answered with that intake, nothing stored), and
a *follow-up visit* when it brings anything new — needs, a complaint, lanes, members or their
facts — linked to the household's first visit and routed like any intake. Who took it, when the
consent was signed and how to reach the family are not what the visit says, so they do not make
a visit new.

A household is a KK; a family whose KK was mistyped or replaced arrives as a second household.
Its members' NIK hashes give it away: such an intake is flagged to the officer as a probable
duplicate, never merged (a member may also have married into another KK).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

#: the fields of an intake that say what the visit is about (``IntakeCreate``'s names)
VISIT_CONTENT = frozenset(
    {"household", "members", "needs", "other_need", "complaint", "priority_lanes"}
)

VisitKind = Literal["first", "follow_up"]


@dataclass(frozen=True, slots=True)
class HouseholdMatch:
    """Another household (another KK) that ``members_matched`` of this intake's members
    already belong to, by NIK hash. No name or NIK: the officer opens both households."""

    household_id: UUID
    members_matched: int


@dataclass(frozen=True, slots=True)
class Visit:
    """An intake of a household within the duplicate window, as a later one is compared
    with it."""

    intake_id: UUID
    #: the first visit this one follows up, or None when it is the first
    visit_of: UUID | None
    #: what it said (None: stored before visits were compared, so nothing repeats it)
    content_hash: str | None
    #: the other households it was flagged against
    possible_duplicates: tuple[UUID, ...] = ()

    @property
    def first(self) -> UUID:
        return self.visit_of or self.intake_id


def visit_content(intake: Mapping[str, Any]) -> dict[str, Any]:
    """What the visit says, in an order of its own: the same form typed again with its members,
    needs, lanes or missing documents in another order says the same. From the intake as JSON
    (``IntakeCreate.model_dump(mode="json")``, which the request's fingerprint is made of too:
    one dump for both), left as it was."""
    content = {field: intake[field] for field in VISIT_CONTENT}
    content["members"] = sorted(intake["members"], key=lambda member: member["nik"])
    for listed in ("needs", "priority_lanes"):
        content[listed] = sorted(intake[listed])
    household = intake["household"]
    content["household"] = {
        **household,
        "missing_documents": sorted(household["missing_documents"]),
    }
    return content


def repeat_of(visits: Sequence[Visit], content_hash: str) -> Visit | None:
    """The earlier visit this one repeats word for word, if any."""
    return next((v for v in visits if v.content_hash == content_hash), None)


def visit_kind(visit_of: UUID | None) -> VisitKind:
    return "first" if visit_of is None else "follow_up"


def household_matches(
    household_id: UUID, nik_hashes: Iterable[str], households_of: Mapping[str, set[UUID]]
) -> tuple[HouseholdMatch, ...]:
    """The other households that hold any of these members, most members matched first."""
    counted = Counter(
        other
        for nik_hash in set(nik_hashes)
        for other in households_of.get(nik_hash, ())
        if other != household_id
    )
    return tuple(
        HouseholdMatch(other, n)
        for other, n in sorted(counted.items(), key=lambda item: (-item[1], str(item[0])))
    )


def duplicate_note(matches: Sequence[HouseholdMatch]) -> str | None:
    """What the officer is told of a probable duplicate, in Bahasa Indonesia."""
    if not matches:
        return None
    if len(matches) == 1:
        where = (
            f"{matches[0].members_matched} anggota keluarga ini (dicocokkan menurut NIK) sudah "
            "tercatat pada rumah tangga lain dengan nomor KK berbeda."
        )
    else:
        where = (
            "Anggota keluarga ini (dicocokkan menurut NIK) sudah tercatat pada "
            f"{len(matches)} rumah tangga lain dengan nomor KK berbeda."
        )
    return (
        f"Kemungkinan data ganda: {where} Periksa apakah nomor KK salah ketik, KK sudah "
        "diganti, atau keluarga pecah KK. Data tidak digabung otomatis: intake ini dicatat atas "
        "KK yang diisi; bila keluarganya sama, jangan ajukan rujukan yang sudah berjalan untuk "
        "rumah tangga lain itu dan perbaiki data KK-nya."
    )
