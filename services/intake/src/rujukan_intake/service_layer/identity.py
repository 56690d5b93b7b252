"""Who a referred household is, for those who must serve it — and a record of every such read.

A program officer identifies the family behind a referral (names, birth dates, relationships)
here, not from Kafka: nothing identifying travels on a topic. Each read is written, in the same
transaction, to ``identity_reads`` (who, their role, when, which household, for which referral
and program, and the purpose they stated), which operators of the region and administrators
can query (UU PDP: a controller must be able to say who processed a resident's data).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from rujukan_intake.adapters.repository import Member
from rujukan_intake.domain.commands import ReadHousehold
from rujukan_intake.service_layer.state import IntakeState
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_platform.access import not_found


@dataclass(frozen=True, slots=True)
class HouseholdOfReferral:
    referral_id: UUID
    program_code: str
    household_id: UUID
    village_code: str
    members: list[Member]


async def read_household(
    cmd: ReadHousehold, uow: IntakeUnitOfWork, state: IntakeState
) -> HouseholdOfReferral:
    """The household a referral is about, if the caller may see that referral (its program's
    agency, narrowed to its regions; an operator of the region; an administrator); the read is
    logged. Anything else does not exist for the caller."""
    found = await uow.referrals.household_of(cmd.referral_id)
    if found is None or not cmd.by.may_see(found.village_code, found.program_code):
        raise not_found(f"referral {cmd.referral_id}")
    members = await uow.households.members_of(found.household_id, state.sealer)
    await uow.identity_reads.add(
        subject=cmd.by.subject,
        role=cmd.by.role,
        household=found,
        referral_id=cmd.referral_id,
        purpose=cmd.purpose,
    )
    return HouseholdOfReferral(
        referral_id=cmd.referral_id,
        program_code=found.program_code,
        household_id=found.household_id,
        village_code=found.village_code,
        members=members,
    )
