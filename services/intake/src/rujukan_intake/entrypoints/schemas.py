"""What intake's routes take and answer (the OpenAPI schemas); the read side's models are the
views' own (``adapters.views``)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from rujukan_contracts.text import Line
from rujukan_intake.adapters.views import IdentityRead, IntakeView
from rujukan_intake.domain.intake import IntakeCreate

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
]


class IntakeAccepted(BaseModel):
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


class BatchResult(BaseModel):
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
