"""Who a referred household is, for those who must serve it — and a record of every such read.

A program officer identifies the family behind a referral (names, birth dates, relationships)
here, not from Kafka: nothing identifying travels on a topic. Each read is written, in the same
transaction, to ``identity_reads`` (who, their role, when, which household, for which referral
and program, and the purpose they stated), which operators of the region and administrators
can query (UU PDP: a controller must be able to say who processed a resident's data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_intake.adapters.names import name_reader
from rujukan_intake.adapters.tables import identity_reads, intake_referrals, intakes, members
from rujukan_platform.access import not_found, region_condition
from rujukan_platform.auth import Principal
from rujukan_platform.sealing import Sealer


async def household_of_referral(
    session: AsyncSession,
    referral_id: UUID,
    principal: Principal,
    *,
    purpose: str,
    sealer: Sealer,
) -> dict[str, Any]:
    """The household a referral is about, if the caller may see that referral (its program's
    agency, narrowed to its regions; an operator of the region; an administrator); the read is
    recorded. Anything else does not exist for the caller."""
    found = (
        await session.execute(
            select(
                intake_referrals.c.program_code,
                intakes.c.id.label("intake_id"),
                intakes.c.household_id,
                intakes.c.village_code,
            )
            .join(intakes, intakes.c.id == intake_referrals.c.intake_id)
            .where(intake_referrals.c.referral_id == referral_id)
        )
    ).first()
    if found is None or not principal.may_see(found.village_code, found.program_code):
        raise not_found(f"referral {referral_id}")
    read_name = name_reader(sealer)  # names are sealed at rest
    rows = (
        await session.execute(
            select(members)
            .where(members.c.household_id == found.household_id)
            .order_by(members.c.relationship != "head", members.c.birth_date)
        )
    ).all()
    await session.execute(
        identity_reads.insert().values(
            subject=principal.subject,
            role=principal.role,
            household_id=found.household_id,
            village_code=found.village_code,
            referral_id=referral_id,
            program_code=found.program_code,
            purpose=purpose,
        )
    )
    return {
        "referral_id": referral_id,
        "program_code": found.program_code,
        "household_id": found.household_id,
        "village_code": found.village_code,
        "members": [
            {
                "name": read_name(m),
                "birth_date": m.birth_date,
                "sex": m.sex,
                "relationship": m.relationship,
            }
            for m in rows
        ],
    }


async def reads_of(
    session: AsyncSession,
    principal: Principal,
    *,
    household_id: UUID | None,
    referral_id: UUID | None,
    before: datetime | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The identity reads the caller may audit (its regions), newest first."""
    stmt = select(identity_reads).order_by(identity_reads.c.at.desc(), identity_reads.c.id.desc())
    if principal.role not in ("admin", "service"):
        stmt = stmt.where(region_condition(identity_reads.c.village_code, principal))
    if household_id is not None:
        stmt = stmt.where(identity_reads.c.household_id == household_id)
    if referral_id is not None:
        stmt = stmt.where(identity_reads.c.referral_id == referral_id)
    if before is not None:
        stmt = stmt.where(identity_reads.c.at < before)
    rows = (await session.execute(stmt.limit(limit))).all()
    return [
        {
            "at": r.at,
            "subject": r.subject,
            "role": r.role,
            "household_id": r.household_id,
            "village_code": r.village_code,
            "referral_id": r.referral_id,
            "program_code": r.program_code,
            "purpose": r.purpose,
        }
        for r in rows
    ]
