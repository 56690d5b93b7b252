"""Use cases: submit an intake, read one back, follow its referrals' status."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import orjson
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import (
    Consent,
    HouseholdFacts,
    IntakeSubmittedV1,
    MemberFacts,
    ReferralStatusChangedV1,
)
from rujukan_contracts.topics import INTAKE_SUBMITTED
from rujukan_intake.adapters.registry import SocialRegistry
from rujukan_intake.adapters.tables import households, intake_referrals, intakes, members, outbox
from rujukan_intake.domain.identity import keyed_hash
from rujukan_intake.domain.intake import IntakeCreate, intake_errors
from rujukan_intake.domain.lanes import derive_lanes
from rujukan_platform.auth import Principal
from rujukan_platform.outbox import stage
from rujukan_platform.problems import Problem
from rujukan_regions import normalise_region_code


class Submitted:
    def __init__(self, intake_id: UUID, household_id: UUID, duplicate: bool) -> None:
        self.intake_id = intake_id
        self.household_id = household_id
        self.duplicate = duplicate


def request_hash(req: IntakeCreate) -> str:
    return hashlib.sha256(
        orjson.dumps(req.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    ).hexdigest()


async def submit_intake(
    session: AsyncSession,
    *,
    req: IntakeCreate,
    principal: Principal,
    idempotency_key: str | None,
    pii_key: str,
    registry: SocialRegistry,
    duplicate_window: timedelta,
    traceparent: str | None = None,
    now: datetime | None = None,
) -> Submitted:
    now = now or datetime.now(UTC)
    errors = intake_errors(req, now.date())
    if errors:
        raise Problem(
            422,
            "Unprocessable intake",
            "; ".join(f"{e['field']}: {e['reason']}" for e in errors),
            type_="https://rujukan.example/problems/validation",
            errors=errors,
        )
    village = normalise_region_code(req.household.village_code)  # stored and sent dotted
    if not principal.covers_region(village):
        raise Problem(403, "Forbidden", "the village is outside the regions you are scoped to")
    digest = request_hash(req)

    if idempotency_key:
        prior = (
            await session.execute(
                select(intakes.c.id, intakes.c.household_id, intakes.c.request_hash).where(
                    intakes.c.principal == principal.subject,
                    intakes.c.idempotency_key == idempotency_key,
                )
            )
        ).first()
        if prior is not None:
            if prior.request_hash != digest:
                raise Problem(
                    422,
                    "Idempotency-Key reused",
                    "this Idempotency-Key was used for a different request",
                )
            return Submitted(prior.id, prior.household_id, duplicate=True)

    kk_hash = keyed_hash(pii_key, req.household.kk_number)
    # The upsert locks the household row until commit, so concurrent submissions of one
    # household serialise here and the duplicate check below sees the first one.
    household_id: UUID = (
        await session.execute(
            insert(households)
            .values(id=uuid4(), kk_hash=kk_hash, village_code=village)
            .on_conflict_do_update(index_elements=["kk_hash"], set_={"village_code": village})
            .returning(households.c.id)
        )
    ).scalar_one()

    first = (
        await session.execute(
            select(intakes.c.id)
            .where(
                intakes.c.household_id == household_id,
                intakes.c.submitted_at > now - duplicate_window,
            )
            .order_by(intakes.c.submitted_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    if first is not None:
        return Submitted(first, household_id, duplicate=True)

    member_facts: list[MemberFacts] = []
    for m in req.members:
        nik_hash = keyed_hash(pii_key, m.nik)
        attributes = m.model_dump(
            mode="json", exclude={"nik", "name", "birth_date", "sex", "relationship"}
        )
        member_id: UUID = (
            await session.execute(
                insert(members)
                .values(
                    id=uuid4(),
                    household_id=household_id,
                    nik_hash=nik_hash,
                    nik_last4=m.nik[-4:],
                    name=m.name,
                    birth_date=m.birth_date,
                    sex=m.sex.value,
                    relationship=m.relationship.value,
                    attributes=attributes,
                )
                .on_conflict_do_update(
                    index_elements=["household_id", "nik_hash"],
                    set_={
                        "name": m.name,
                        "relationship": m.relationship.value,
                        "attributes": attributes,
                    },
                )
                .returning(members.c.id)
            )
        ).scalar_one()
        member_facts.append(
            MemberFacts(
                member_id=member_id,
                relationship=m.relationship,
                birth_date=m.birth_date,
                sex=m.sex,
                pregnant=m.pregnant,
                breastfeeding=m.breastfeeding,
                disability=m.disability,
                schooling=m.schooling,
                working=m.working,
            )
        )

    registry_facts = await registry.lookup(session, kk_hash)
    assert req.consent is not None  # intake_errors refuses a missing consent
    consent = Consent(**req.consent.model_dump())
    intake_id = uuid4()
    lanes = derive_lanes(member_facts, req.priority_lanes, now.date())
    event = IntakeSubmittedV1(
        intake_id=intake_id,
        household_id=household_id,
        village_code=village,
        submitted_at=now,
        members=member_facts,
        household=HouseholdFacts(
            owns_land=req.household.owns_land,
            house_below_standard=req.household.house_below_standard,
            missing_documents=req.household.missing_documents,
        ),
        registry=registry_facts,
        needs=req.needs,
        other_need=req.other_need,
        complaint=req.complaint,
        priority_lanes=lanes,
        consent=consent,
        contact=req.contact if "notification" in consent.purposes else None,
    )
    await session.execute(
        intakes.insert().values(
            id=intake_id,
            household_id=household_id,
            idempotency_key=idempotency_key,
            principal=principal.subject,
            village_code=village,
            needs=[n.value for n in req.needs],
            priority_lanes=[lane.value for lane in lanes],
            registry=registry_facts.model_dump(mode="json"),
            consent=consent.model_dump(mode="json"),
            taken_by=req.taken_by.model_dump(mode="json"),
            request_hash=digest,
            submitted_at=now,
        )
    )
    await stage(session, outbox, [(INTAKE_SUBMITTED, event)], traceparent=traceparent)
    return Submitted(intake_id, household_id, duplicate=False)


async def get_intake(
    session: AsyncSession, intake_id: UUID, principal: Principal
) -> dict[str, Any]:
    row = (await session.execute(select(intakes).where(intakes.c.id == intake_id))).first()
    if row is None or not principal.covers_region(row.village_code):
        raise Problem(404, "Not found", f"no intake {intake_id}")
    referrals = (
        await session.execute(
            select(intake_referrals)
            .where(intake_referrals.c.intake_id == intake_id)
            .order_by(intake_referrals.c.program_code)
        )
    ).all()
    return {
        "intake_id": row.id,
        "household_id": row.household_id,
        "village_code": row.village_code,
        "needs": row.needs,
        "priority_lanes": row.priority_lanes,
        "registry": row.registry,
        "consent": row.consent,
        "taken_by": row.taken_by,
        "submitted_at": row.submitted_at,
        "referrals": [
            {
                "referral_id": r.referral_id,
                "program_code": r.program_code,
                "status": r.status,
                "reason_code": r.reason_code,
                "changed_at": r.changed_at,
            }
            for r in referrals
        ],
    }


async def record_referral_status(session: AsyncSession, event: ReferralStatusChangedV1) -> None:
    """Keep the intake's view of its referrals current; an older change never overwrites a newer."""
    stmt = insert(intake_referrals).values(
        referral_id=event.referral_id,
        intake_id=event.intake_id,
        program_code=event.program_code,
        status=event.to_status.value,
        reason_code=event.reason_code.value if event.reason_code else None,
        changed_at=event.changed_at,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["referral_id"],
        set_={
            "status": stmt.excluded.status,
            "reason_code": stmt.excluded.reason_code,
            "changed_at": stmt.excluded.changed_at,
        },
        where=intake_referrals.c.changed_at <= stmt.excluded.changed_at,
    )
    await session.execute(stmt)


def today() -> date:
    return datetime.now(UTC).date()
