"""Who a referred household is, for those who must serve it — and a record of every such read.

A program's agency identifies the family behind a referral here, never from Kafka: nothing
identifying travels on a topic. It reads names, NIK, KK, address and village, the contact the
resident gave, and the documents its program asks for with those the family said it lacks —
while the referral is open and the resident's consent covers its program. Each read is written,
in the same transaction, to ``identity_reads`` (who, their role, when, which household, for which
referral and program, and the purpose they stated), which operators of the region and
administrators can query (UU PDP: a controller must be able to say who processed a resident's
data). Operators of the region and administrators are the controller's own staff, who took the
data: they read it whatever the referral's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from rujukan_contracts.events import ContactPoint
from rujukan_intake.adapters.repository import Member, ReferredHousehold
from rujukan_intake.domain.commands import ReadHousehold
from rujukan_intake.domain.intake import REFERRAL_PURPOSE
from rujukan_intake.service_layer.state import IntakeState
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_platform.access import not_found
from rujukan_platform.language import Localised
from rujukan_platform.problems import FORBIDDEN, Problem
from rujukan_regions import regions

#: where a referral's work is over (a complaint case's ``closed`` too): its family's identity is
#: no longer the agency's to read
CLOSED = {"completed", "rejected", "expired", "withdrawn", "closed"}
#: the closed statuses in words, for the refusal an officer reads
CLOSED_IN_WORDS = {
    "completed": "selesai",
    "rejected": "ditolak",
    "expired": "kedaluwarsa",
    "withdrawn": "ditarik",
    "closed": "ditutup",
}


@dataclass(frozen=True, slots=True)
class Village:
    """A village and the sub-district and regency it lies in, by name (Kemendagri)."""

    code: str
    name: str | None
    subdistrict: str | None
    regency: str | None

    @classmethod
    def of(cls, code: str) -> Village:
        found = regions().get(code)
        subdistrict = regions().get(found.parent) if found and found.parent else None
        regency = regions().get(subdistrict.parent) if subdistrict and subdistrict.parent else None
        return cls(
            code,
            found.name if found else None,
            subdistrict.name if subdistrict else None,
            regency.name if regency else None,
        )


@dataclass(frozen=True, slots=True)
class RequiredDocument:
    name: str
    #: the household said it lacks it (``household.missing_documents``)
    missing: bool


@dataclass(frozen=True, slots=True)
class HouseholdOfReferral:
    referral_id: UUID
    reference: str | None
    program_code: str
    household_id: UUID
    village_code: str
    village: Village
    kk_number: str | None
    address: str | None
    contact: ContactPoint | None
    members: list[Member]
    required_documents: list[RequiredDocument]
    missing_documents: list[str]


async def read_household(
    cmd: ReadHousehold, uow: IntakeUnitOfWork, state: IntakeState
) -> HouseholdOfReferral:
    """The household a referral is about, if the caller may see that referral (its program's
    agency, narrowed to its regions; an operator of the region; an administrator) and, for an
    agency, while it is open and consented to; the read is logged. A referral the caller may
    not see does not exist for them; one they may see but not read is refused, saying why."""
    found = await uow.referrals.household_of(referral_id=cmd.referral_id, reference=cmd.reference)
    named = cmd.reference or Localised(f"rujukan {cmd.referral_id}", f"referral {cmd.referral_id}")
    if found is None or not cmd.by.may_see(found.village_code, found.program_code):
        raise not_found(named)
    if cmd.by.role == "agency":
        _check_agency_may_read(found)
    members = await uow.households.members_of(found.household_id, state.sealer)
    family = await uow.households.identity(found.household_id, found.intake_id, state.sealer)
    program = await uow.programs.get(found.program_code)
    await uow.identity_reads.add(
        subject=cmd.by.subject,
        role=cmd.by.role,
        household=found,
        referral_id=found.referral_id,
        purpose=cmd.purpose,
    )
    lacking = set(family.missing_documents)
    return HouseholdOfReferral(
        referral_id=found.referral_id,
        reference=found.reference,
        program_code=found.program_code,
        household_id=found.household_id,
        village_code=found.village_code,
        village=Village.of(found.village_code),
        kk_number=family.kk_number,
        address=family.address,
        contact=family.contact,
        members=members,
        required_documents=[
            RequiredDocument(name, name in lacking)
            for name in (program.required_documents if program is not None else [])
        ],
        missing_documents=family.missing_documents,
    )


def _check_agency_may_read(found: ReferredHousehold) -> None:
    """403, in Bahasa Indonesia first, when the referral is closed or the resident's consent
    does not cover its program."""
    if found.status in CLOSED:
        raise Problem(
            403,
            FORBIDDEN,
            Localised(
                f"rujukan ini sudah {CLOSED_IN_WORDS[found.status]}: data keluarga hanya dapat "
                "dibaca selama rujukan masih berjalan",
                f"the referral is {found.status}: the family's identity is readable only while "
                "it is open",
            ),
            type_="https://rujukan.example/problems/referral-closed",
            status_of_referral=found.status,
        )
    purposes = found.consent.get("purposes", [])
    recipients = found.consent.get("recipients", [])
    if REFERRAL_PURPOSE not in purposes or not (
        "*" in recipients or found.program_code in recipients
    ):
        raise Problem(
            403,
            FORBIDDEN,
            Localised(
                f"persetujuan warga tidak mencakup program {found.program_code}: data keluarga "
                "tidak dapat dibagikan",
                f"the resident's consent does not cover {found.program_code}: the family's "
                "identity cannot be shared",
            ),
            type_="https://rujukan.example/problems/consent-not-covering",
        )
