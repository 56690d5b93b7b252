"""What intake's routes take and answer (the OpenAPI schemas); the read side's models are the
views' own (``adapters.views``)."""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from rujukan_contracts.text import Line
from rujukan_intake.adapters.views import IdentityRead, IntakeView, PossibleDuplicate
from rujukan_intake.domain.commands import Submitted
from rujukan_intake.domain.intake import IntakeCreate
from rujukan_intake.domain.visits import VisitKind, duplicate_note, visit_kind

__all__ = [
    "BatchItem",
    "BatchRequest",
    "BatchResponse",
    "BatchResult",
    "HouseholdIdentity",
    "IdentityRead",
    "IdentityReads",
    "IntakeAccepted",
    "IntakeView",
    "MemberIdentity",
    "PossibleDuplicate",
    "VisitAnswer",
]


class VisitFields(TypedDict):
    visit: VisitKind
    follow_up_of: UUID | None
    possible_duplicate_of: list[PossibleDuplicate]
    possible_duplicate_note: str | None


class VisitAnswer(BaseModel):
    """Which visit of the household an accepted intake is (or, for a duplicate, the intake it
    repeats), and the other households its members already belong to."""

    visit: VisitKind = Field(
        default="first", description="the household's first visit, or a follow-up"
    )
    follow_up_of: UUID | None = Field(default=None, description="the first visit it follows up")
    possible_duplicate_of: list[PossibleDuplicate] = Field(
        default_factory=list,
        description="other households (other KKs) its members already belong to, by NIK; "
        "flagged for the officer, never merged",
    )
    possible_duplicate_note: str | None = Field(
        default=None, description="what the officer should check, in Bahasa Indonesia"
    )

    @staticmethod
    def of(result: Submitted) -> VisitFields:
        """The fields of this answer for one submitted intake."""
        matches = [PossibleDuplicate.model_validate(m) for m in result.possible_duplicate_of]
        return VisitFields(
            visit=visit_kind(result.follow_up_of),
            follow_up_of=result.follow_up_of,
            possible_duplicate_of=matches,
            possible_duplicate_note=duplicate_note(result.possible_duplicate_of),
        )


class IntakeAccepted(VisitAnswer):
    intake_id: UUID
    household_id: UUID
    status: str
    duplicate: bool
    links: dict[str, str]


class MemberIdentity(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    birth_date: date
    sex: str
    relationship: str


class HouseholdIdentity(BaseModel):
    """Who a referral is about, for the officers who must find and serve the family."""

    model_config = ConfigDict(from_attributes=True)

    referral_id: UUID
    program_code: str
    household_id: UUID
    village_code: str
    members: list[MemberIdentity]


class IdentityReads(BaseModel):
    items: list[IdentityRead]


class BatchItem(BaseModel):
    """One intake of a batch, with the client's own key for safe retries and resumes."""

    idempotency_key: Line | None = Field(default=None, max_length=200)
    intake: IntakeCreate


class BatchRequest(BaseModel):
    items: list[BatchItem] = Field(min_length=1)


class BatchResult(VisitAnswer):
    index: int
    status: int = Field(description="202 accepted (or a duplicate), 403 or 422 refused")
    intake_id: UUID | None = None
    duplicate: bool = False
    problem: dict[str, Any] | None = Field(
        default=None, description="why the item was refused: a problem body (RFC 9457)"
    )


class BatchResponse(BaseModel):
    accepted: int
    duplicates: int
    refused: int
    results: list[BatchResult]
