"""The intake request and every rule it must meet before anything is stored or published.

Pydantic checks shapes (every string a ``rujukan_contracts.text`` type: no control characters,
usable contacts, plausible dates); ``intake_errors`` checks meaning (NIK against the member, KK,
region code against the Kemendagri reference, consent) and returns *every* fault with its field
path, so the front office fixes a form in one round trip.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from rujukan_contracts.events import (
    Complaint,
    ContactPoint,
    Disability,
    Need,
    PriorityLane,
    Relationship,
    Schooling,
    Sex,
)
from rujukan_contracts.text import BirthDate, ConsentTime, Line, Localised, Text
from rujukan_intake.domain.identity import kk_problem, nik_problem
from rujukan_regions import regions

REFERRAL_PURPOSE = "referral"
ONLY_WOMEN_ARE_PREGNANT = Localised(
    "hanya anggota perempuan yang dapat hamil", "only a female member can be pregnant"
)
NO_NEED = Localised(
    "catat minimal satu kebutuhan atau satu pengaduan", "record at least one need or a complaint"
)
OTHER_UNDESCRIBED = Localised(
    "jelaskan kebutuhannya bila memilih 'other' (lainnya)",
    "describe the need when 'other' is chosen",
)
NO_CONSENT = Localised(
    "persetujuan warga wajib ada sebelum apa pun dirujuk",
    "the resident's consent is required before anything is referred",
)
NO_REFERRAL_PURPOSE = Localised(
    "harus memuat 'referral': tanpa itu tidak ada yang dibagikan",
    "must include 'referral': nothing is shared without it",
)
NO_RECIPIENT = Localised(
    "sebutkan minimal satu program penerima, atau '*'",
    "name at least one recipient program, or '*'",
)


class HouseholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kk_number: Line = Field(
        description="No. KK, 16 digits (found by a keyed hash; kept sealed for the agency)"
    )
    village_code: Line = Field(description="Kemendagri village code, e.g. 33.04.01.2001")
    owns_land: StrictBool = False
    house_below_standard: StrictBool = False
    missing_documents: list[Line] = Field(default_factory=list)
    address: Line | None = Field(
        default=None,
        max_length=300,
        description="where the family lives (street or dusun, RT/RW), kept sealed; only the "
        "agency of an open referral it consented to reads it",
    )


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nik: Line = Field(description="NIK, 16 digits; must agree with birth_date and sex")
    name: Line = Field(min_length=1, max_length=200)
    birth_date: BirthDate
    sex: Sex
    relationship: Relationship
    pregnant: StrictBool = False
    breastfeeding: StrictBool = False
    disability: Disability = Disability.none
    schooling: Schooling = Schooling.not_yet
    working: StrictBool = False


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purposes: list[Line] = Field(description="must include 'referral'; 'notification' to be told")
    recipients: list[Line] = Field(description="program codes, or '*' for every eligible program")
    given_at: ConsentTime


class TakenBy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    puskesos: Line = Field(min_length=1, max_length=200)
    channel: Literal["front_office", "facilitator_app", "phone"] = "front_office"


class IntakeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household: HouseholdIn
    members: list[MemberIn] = Field(min_length=1, max_length=30)
    needs: list[Need] = Field(default_factory=list)
    other_need: Text | None = Field(default=None, max_length=500)
    complaint: Complaint | None = None
    priority_lanes: list[PriorityLane] = Field(default_factory=list)
    consent: ConsentIn | None = None
    contact: ContactPoint | None = None
    taken_by: TakenBy


def intake_errors(req: IntakeCreate, today: date) -> list[dict[str, str | Localised]]:
    """Every fault of meaning, each with its field and why (in both languages)."""
    errors: list[dict[str, str | Localised]] = []

    def add(field: str, reason: Localised) -> None:
        errors.append({"field": field, "reason": reason})

    if problem := kk_problem(req.household.kk_number):
        add("household.kk_number", problem)
    village = req.household.village_code.strip()
    if regions().get(village) is None:
        add(
            "household.village_code",
            Localised("bukan kode wilayah Kemendagri", "is not a Kemendagri region code"),
        )
    elif not regions().is_village(village):
        add(
            "household.village_code",
            Localised(
                "harus kode desa/kelurahan (4 tingkat)",
                "must be a village (desa/kelurahan) code, 4 levels",
            ),
        )
    seen: set[str] = set()
    for i, m in enumerate(req.members):
        if problem := nik_problem(m.nik, birth_date=m.birth_date, sex=m.sex.value):
            add(f"members[{i}].nik", problem)
        elif m.nik in seen:
            add(
                f"members[{i}].nik",
                Localised("muncul dua kali dalam keluarga ini", "appears twice in this household"),
            )
        seen.add(m.nik)
        if m.pregnant and m.sex != Sex.female:
            add(f"members[{i}].pregnant", ONLY_WOMEN_ARE_PREGNANT)
    if not req.needs and req.complaint is None:
        add("needs", NO_NEED)
    if Need.other in req.needs and not req.other_need:
        add("other_need", OTHER_UNDESCRIBED)
    if req.consent is None:
        add("consent", NO_CONSENT)
    elif REFERRAL_PURPOSE not in req.consent.purposes:
        add("consent.purposes", NO_REFERRAL_PURPOSE)
    elif not req.consent.recipients:
        add("consent.recipients", NO_RECIPIENT)
    return errors


EXAMPLE_INTAKE = {
    "household": {
        "kk_number": "3304010101200001",
        "village_code": "33.04.01.2001",
        "owns_land": True,
        "house_below_standard": False,
        "missing_documents": [],
    },
    "members": [
        {
            "nik": "3304011203840001",
            "name": "Sutrisno",
            "birth_date": "1984-03-12",
            "sex": "male",
            "relationship": "head",
            "working": True,
        },
        {
            "nik": "3304014107880002",
            "name": "Wartini",
            "birth_date": "1988-07-01",
            "sex": "female",
            "relationship": "spouse",
            "pregnant": True,
        },
        {
            "nik": "3304016005220003",
            "name": "Ayu Lestari",
            "birth_date": "2022-05-20",
            "sex": "female",
            "relationship": "child",
        },
        {
            "nik": "3304010901160004",
            "name": "Bagus Pratama",
            "birth_date": "2016-01-09",
            "sex": "male",
            "relationship": "child",
            "schooling": "in_school",
        },
    ],
    "needs": ["health_insurance", "schooling", "food"],
    "consent": {
        "purposes": ["referral", "notification"],
        "recipients": ["*"],
        "given_at": "2026-11-24T09:00:00+07:00",
    },
    "contact": {"language": "id", "email": "keluarga.sutrisno@example.org"},
    "taken_by": {"puskesos": "Puskesos Desa Berta", "channel": "front_office"},
}
