"""What intake's API reads (cosmicpython's views): an intake with its referrals, and the
identity-read log, in the shapes the routes answer. Reads only; every change goes through the
handlers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from rujukan_intake.adapters.repository import HouseholdRepository, stored_duplicates
from rujukan_intake.adapters.tables import identity_reads, intake_referrals, intakes
from rujukan_intake.domain.visits import VisitKind, duplicate_note, visit_kind
from rujukan_platform.access import region_condition
from rujukan_platform.auth import Principal
from rujukan_platform.uow import UnitOfWork


class ReferralView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    referral_id: UUID
    reference: str | None = Field(description="the short reference residents and officers read")
    program_code: str
    status: str
    reason_code: str | None
    changed_at: datetime
    kind: str = Field(default="need", description="need, or complaint: a complaint case")


class ComplaintOfVisit(BaseModel):
    """The visit's complaint as the resident said it, and where its case stands."""

    kind: str = Field(description="complaint, question or suggestion")
    category: str = Field(description="what SLRT complaint desks log it as")
    text: str
    about_program: str | None
    about_referral: UUID | None
    cases: list[ReferralView] = Field(
        description="its case (with the program or complaint desk that handles it), once the "
        "router has made it"
    )


class PossibleDuplicate(BaseModel):
    """Another household (another KK) some of this intake's members already belong to."""

    model_config = ConfigDict(from_attributes=True)

    household_id: UUID
    members_matched: int = Field(description="members of this intake found there, by NIK")


class IntakeView(BaseModel):
    """An intake as stored (its registry check, consent and taker as they were submitted)
    with the current status of its referrals, by program code, and its place among the
    household's visits."""

    model_config = ConfigDict(from_attributes=True)

    intake_id: UUID
    household_id: UUID
    village_code: str
    needs: list[str]
    priority_lanes: list[str]
    registry: dict[str, Any] = Field(description="the social-registry check, as made at intake")
    consent: dict[str, Any] = Field(description="the resident's consent, as given")
    taken_by: dict[str, Any] = Field(description="the Puskesos and channel that took it")
    submitted_at: datetime
    referrals: list[ReferralView]
    links: dict[str, str] = Field(
        default_factory=dict,
        description="decisions: the router's every evaluation of this intake, each program "
        "referred, suggested to the officer (eligible for a need not stated) or not, explained",
    )
    visit: VisitKind = Field(description="the household's first visit, or a follow-up")
    follow_up_of: UUID | None = Field(description="the first visit this one follows up")
    follow_ups: list[UUID] = Field(description="the later visits that follow this one up")
    possible_duplicate_of: list[PossibleDuplicate] = Field(
        description="other households (other KKs) its members already belong to, by NIK"
    )
    possible_duplicate_note: str | None = Field(
        description="what the officer should check, in Bahasa Indonesia"
    )
    complaint: ComplaintOfVisit | None = Field(
        default=None, description="the visit's complaint (pengaduan) and its case"
    )


class IdentityRead(BaseModel):
    """One read of a household's identity, as the log keeps it."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    subject: str
    role: str
    household_id: UUID
    village_code: str
    referral_id: UUID | None
    program_code: str | None
    purpose: str


async def intake(uow: UnitOfWork, intake_id: UUID) -> IntakeView | None:
    row = (
        await uow.session.execute(
            select(intakes, intakes.c.id.label("intake_id")).where(intakes.c.id == intake_id)
        )
    ).first()
    if row is None:
        return None
    referrals = await uow.session.execute(
        select(intake_referrals)
        .where(intake_referrals.c.intake_id == intake_id)
        .order_by(intake_referrals.c.program_code)
    )
    follow_ups = await uow.session.scalars(
        select(intakes.c.id)
        .where(intakes.c.visit_of == intake_id)
        .order_by(intakes.c.submitted_at, intakes.c.id)
    )
    matches = await HouseholdRepository(uow.session).shared_members(
        row.household_id, stored_duplicates(row.possible_duplicates)
    )
    shown = [ReferralView.model_validate(r) for r in referrals]
    return IntakeView.model_validate(
        {
            **row._mapping,
            "referrals": shown,
            "complaint": _complaint(row.complaint, shown),
            "visit": visit_kind(row.visit_of),
            "follow_up_of": row.visit_of,
            "follow_ups": list(follow_ups),
            "possible_duplicate_of": matches,
            "possible_duplicate_note": duplicate_note(matches),
        }
    )


def _complaint(
    said: dict[str, Any] | None, referrals: list[ReferralView]
) -> ComplaintOfVisit | None:
    if said is None:
        return None
    cases = [r for r in referrals if r.kind == "complaint"]
    return ComplaintOfVisit.model_validate({"category": "other", **said, "cases": cases})


async def identity_reads_of(
    uow: UnitOfWork,
    principal: Principal,
    *,
    household_id: UUID | None,
    referral_id: UUID | None,
    before: datetime | None,
    limit: int,
) -> list[IdentityRead]:
    """The identity reads the caller may audit (its regions), newest first."""
    log = identity_reads.c
    stmt = select(identity_reads).order_by(log.at.desc(), log.id.desc())
    if principal.role not in ("admin", "service"):
        stmt = stmt.where(region_condition(log.village_code, principal))
    if household_id is not None:
        stmt = stmt.where(log.household_id == household_id)
    if referral_id is not None:
        stmt = stmt.where(log.referral_id == referral_id)
    if before is not None:
        stmt = stmt.where(log.at < before)
    rows = await uow.session.execute(stmt.limit(limit))
    return [IdentityRead.model_validate(r) for r in rows]
