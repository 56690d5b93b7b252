"""What intake's routes take and answer (the OpenAPI schemas); the read side's models are the
views' own (``adapters.views``)."""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from rujukan_contracts.events import ContactPoint
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
    "RequiredDocumentView",
    "VillageIdentity",
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
    nik: str | None = Field(
        description="NIK, 16 digits; null for a member recorded before NIKs were kept sealed"
    )
    birth_date: date
    sex: str
    relationship: str


class VillageIdentity(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="Kemendagri code, e.g. 33.04.01.2001")
    name: str | None = Field(description="the desa/kelurahan")
    subdistrict: str | None = Field(description="the kecamatan")
    regency: str | None = Field(description="the kabupaten/kota")


class RequiredDocumentView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str = Field(description="as the program's catalogue entry names it, e.g. KTP, KK")
    missing: bool = Field(description="the household said at intake that it lacks it")


class HouseholdIdentity(BaseModel):
    """Who a referral is about, for the agency that must find and serve the family: readable
    while the referral is open and the resident's consent covers its program; every read is
    in the identity-read log."""

    model_config = ConfigDict(from_attributes=True)

    referral_id: UUID
    reference: str | None = Field(description="the referral's short reference (RJK-3304-...)")
    program_code: str
    household_id: UUID
    village_code: str
    village: VillageIdentity
    kk_number: str | None = Field(
        description="No. KK; null for a household recorded before it was kept sealed"
    )
    address: str | None = Field(description="the address the household gave, if any")
    contact: ContactPoint | None = Field(description="the contact the resident gave, if any")
    members: list[MemberIdentity] = Field(description="the head first, then the eldest")
    required_documents: list[RequiredDocumentView] = Field(
        description="what the program asks the family to bring (its catalogue entry), each "
        "marked when the household said it lacks it"
    )
    missing_documents: list[str] = Field(
        description="every document the household said at intake that it lacks"
    )


class IdentityReads(BaseModel):
    items: list[IdentityRead]


class BatchItem(BaseModel):
    """One intake of a batch, with the client's own key for safe retries and resumes."""

    idempotency_key: Line | None = Field(default=None, min_length=1, max_length=200)
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
