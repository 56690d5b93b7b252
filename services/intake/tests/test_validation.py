"""Intake's rules, pure: NIK and KK, every intake fault with its field path, and fast lanes."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from stdnum.id import nik as stdnum_nik

from rujukan_contracts.events import Disability, MemberFacts, PriorityLane, Relationship, Sex
from rujukan_contracts.text import Localised
from rujukan_intake.domain.identity import SIXTEEN_DIGITS, kk_problem, nik_form_problem, nik_problem
from rujukan_intake.domain.intake import EXAMPLE_INTAKE, IntakeCreate, intake_errors
from rujukan_intake.domain.lanes import derive_lanes
from rujukan_platform.language import Language, say

TODAY = date(2026, 11, 24)
HEAD = EXAMPLE_INTAKE["members"][0]  # Sutrisno, male, 1984-03-12, NIK 3304011203840001
SPOUSE = EXAMPLE_INTAKE["members"][1]  # Wartini, female, 1988-07-01, NIK 3304014107880002


def fullwidth(digits: str) -> str:
    """The same digits as Unicode FULLWIDTH DIGITs (U+FF10..U+FF19): not ASCII digits."""
    return "".join(chr(ord(c) + 0xFEE0) for c in digits)


def example(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE_INTAKE)
    data.update(changes)
    return data


def errors_of(data: dict[str, Any], language: Language = "en") -> list[dict[str, str]]:
    """The faults of an intake, as a reader of ``language`` sees them."""
    errors = intake_errors(IntakeCreate.model_validate(data), TODAY)
    return [{k: say(v, language) for k, v in e.items()} for e in errors]


def fields_of(data: dict[str, Any]) -> set[str]:
    return {e["field"] for e in errors_of(data)}


def with_member(i: int, **changes: Any) -> dict[str, Any]:
    data = example()
    data["members"][i].update(changes)
    return data


def with_household(**changes: Any) -> dict[str, Any]:
    data = example()
    data["household"].update(changes)
    return data


# --------------------------------------------------------------------------- NIK and KK


def test_every_example_nik_belongs_to_its_member() -> None:
    for m in EXAMPLE_INTAKE["members"]:
        assert (
            nik_problem(m["nik"], birth_date=date.fromisoformat(m["birth_date"]), sex=m["sex"])
            is None
        ), m["name"]
    assert kk_problem(EXAMPLE_INTAKE["household"]["kk_number"]) is None


@pytest.mark.parametrize(
    "nik",
    ["330401120384000", "33040112038400011", "", "3304-11203840001", "33040112038400O1"],
    ids=["15-digits", "17-digits", "empty", "dash", "letter-O"],
)
def test_a_nik_of_the_wrong_length_or_with_non_digits_is_refused(nik: str) -> None:
    assert nik_problem(nik, birth_date=date(1984, 3, 12), sex="male") == Localised(
        "harus 16 angka", "must be 16 digits"
    )


@pytest.mark.parametrize(
    "nik",
    [
        "9904011203840001",  # no province 99
        "3304011213840001",  # month 13
        "3304013203840001",  # day 32 (neither a male nor a female day)
        "3304014003840001",  # day 40: female day 0
        "3304017203840001",  # day 72: female day 32
    ],
)
def test_a_nik_with_invalid_components_is_refused_without_repeating_it(nik: str) -> None:
    problem = nik_problem(nik, birth_date=date(1984, 3, 12), sex="male")
    assert problem is not None and problem.en.startswith("is not a valid NIK")
    assert problem.id.startswith("bukan NIK yang sah (")
    assert nik not in problem.id and nik not in problem.en


@settings(max_examples=3000)
@given(
    region=st.one_of(
        st.sampled_from(["3304", "3171", "1101", "9471", "9904", "0000", "3399"]),
        st.from_regex(r"[0-9]{4}", fullmatch=True),
    ),
    district=st.from_regex(r"[0-9]{2}", fullmatch=True),
    day=st.integers(0, 99),
    month=st.integers(0, 99),
    year=st.integers(0, 99),
    serial=st.from_regex(r"[0-9]{4}", fullmatch=True),
)
def test_a_nik_s_form_is_judged_as_python_stdnum_judges_it(
    region: str, district: str, day: int, month: int, year: int, serial: str
) -> None:
    """The form check caches stdnum's region lookup; its verdict must stay stdnum's own, for
    known and unknown regions, possible and impossible dates, both sexes' days."""
    nik = f"{region}{district}{day:02d}{month:02d}{year:02d}{serial}"
    assert (nik_form_problem(nik) is None) == stdnum_nik.is_valid(nik), nik


def test_a_nik_whose_birth_date_disagrees_with_the_member_is_refused() -> None:
    # Sutrisno's NIK encodes 12-03-84
    assert nik_problem("3304011203840001", birth_date=date(1984, 3, 13), sex="male") == (
        Localised(
            "tanggal lahir dalam NIK berbeda dari tanggal lahir anggota",
            "encodes a birth date different from the member's birth_date",
        )
    )
    assert nik_problem("3304011203840001", birth_date=date(1985, 3, 12), sex="male") is not None
    assert nik_problem("3304011203840001", birth_date=date(1984, 4, 12), sex="male") is not None


def test_a_woman_s_nik_adds_40_to_the_day_and_the_sex_must_agree() -> None:
    # Wartini: born 01-07-88, female → day 41
    assert nik_problem("3304014107880002", birth_date=date(1988, 7, 1), sex="female") is None
    assert nik_problem("3304014107880002", birth_date=date(1988, 7, 1), sex="male") == (
        Localised(
            "NIK ini milik seorang perempuan, tetapi anggota ini tercatat laki-laki",
            "encodes sex 'female' but the member is 'male'",
        )
    )
    # the same date without +40 is a man's NIK
    assert nik_problem("3304010107880002", birth_date=date(1988, 7, 1), sex="female") == (
        Localised(
            "NIK ini milik seorang laki-laki, tetapi anggota ini tercatat perempuan",
            "encodes sex 'male' but the member is 'female'",
        )
    )
    assert nik_problem("3304010107880002", birth_date=date(1988, 7, 1), sex="male") is None


@pytest.mark.parametrize(
    "kk", ["330401010120000", "33040101012000011", "", "33040101012000O1", "3304 010101200001"]
)
def test_a_kk_of_the_wrong_length_or_with_non_digits_is_refused(kk: str) -> None:
    assert kk_problem(kk) == SIXTEEN_DIGITS


@pytest.mark.parametrize(
    "check",
    [
        lambda: kk_problem(fullwidth("3304010101200001")),
        lambda: nik_problem(
            fullwidth("3304011203840001"), birth_date=date(1984, 3, 12), sex="male"
        ),
        lambda: kk_problem("".join(chr(0x0660 + int(c)) for c in "3304010101200001")),
    ],
    ids=["kk-fullwidth", "nik-fullwidth", "kk-arabic-indic"],
)
def test_non_ascii_digits_are_not_digits(check: Any) -> None:
    assert check() == SIXTEEN_DIGITS


# --------------------------------------------------------------------------- property


FEMALE_OR_MALE = st.sampled_from(["female", "male"])
BIRTH_DATES = st.dates(min_value=date(1925, 1, 1), max_value=date(2025, 12, 30))


def build_nik(birth: date, sex: str, serial: int) -> str:
    day = birth.day + (40 if sex == "female" else 0)
    return f"330401{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


@settings(max_examples=300, deadline=None)
@given(birth=BIRTH_DATES, sex=FEMALE_OR_MALE, serial=st.integers(1, 9999))
def test_a_nik_built_from_birth_date_and_sex_is_accepted_and_any_change_refused(
    birth: date, sex: str, serial: int
) -> None:
    nik = build_nik(birth, sex, serial)
    assert len(nik) == 16
    assert nik_problem(nik, birth_date=birth, sex=sex) is None
    other_sex = "male" if sex == "female" else "female"
    assert nik_problem(nik, birth_date=birth, sex=other_sex) is not None
    assert nik_problem(nik, birth_date=birth + timedelta(days=1), sex=sex) is not None
    assert nik_problem(nik, birth_date=birth - timedelta(days=1), sex=sex) is not None
    # a full century earlier or later shares the two-digit year: the NIK cannot tell
    # them apart, which is why intake also refuses birth dates in the future.


# --------------------------------------------------------------------------- intake_errors


def test_the_example_intake_has_no_errors() -> None:
    assert errors_of(example()) == []


def test_an_invalid_nik_is_reported_at_its_member_index() -> None:
    errors = errors_of(with_member(2, nik="3304016005229999"[:15]))
    assert errors == [{"field": "members[2].nik", "reason": "must be 16 digits"}]


def test_an_officer_reads_each_fault_in_bahasa_indonesia() -> None:
    data = with_member(1, sex="male", pregnant=False)
    data["consent"]["purposes"] = ["notification"]
    assert errors_of(data, "id") == [
        {
            "field": "members[1].nik",
            "reason": "NIK ini milik seorang perempuan, tetapi anggota ini tercatat laki-laki",
        },
        {
            "field": "consent.purposes",
            "reason": "harus memuat 'referral': tanpa itu tidak ada yang dibagikan",
        },
    ]
    assert errors_of(with_household(village_code="33.04"), "id") == [
        {"field": "household.village_code", "reason": "harus kode desa/kelurahan (4 tingkat)"}
    ]


def test_a_nik_of_another_sex_or_birth_date_is_reported_with_its_reason() -> None:
    errs = errors_of(with_member(1, sex="male", pregnant=False))
    assert errs == [
        {"field": "members[1].nik", "reason": "encodes sex 'female' but the member is 'male'"}
    ]
    errs = errors_of(with_member(0, birth_date="1984-03-11"))
    assert [e["field"] for e in errs] == ["members[0].nik"]
    assert "birth date" in errs[0]["reason"]


def test_the_same_nik_twice_in_one_household_is_refused() -> None:
    data = example()
    twin = copy.deepcopy(data["members"][3])
    twin["name"] = "Bagus kembar"
    data["members"].append(twin)
    assert errors_of(data) == [
        {"field": "members[4].nik", "reason": "appears twice in this household"}
    ]


def test_a_wrong_kk_is_reported() -> None:
    assert errors_of(with_household(kk_number="33040101012000")) == [
        {"field": "household.kk_number", "reason": "must be 16 digits"}
    ]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("33.04.01.9999", "is not a Kemendagri region code"),
        ("99.99.99.9999", "is not a Kemendagri region code"),
        ("33.04.01.200", "is not a Kemendagri region code"),
        ("33.04", "must be a village (desa/kelurahan) code, 4 levels"),
        ("33.04.01", "must be a village (desa/kelurahan) code, 4 levels"),
        ("33", "must be a village (desa/kelurahan) code, 4 levels"),
    ],
)
def test_the_village_must_be_a_known_kemendagri_village(code: str, reason: str) -> None:
    assert errors_of(with_household(village_code=code)) == [
        {"field": "household.village_code", "reason": reason}
    ]


def test_no_consent_is_refused() -> None:
    data = example()
    del data["consent"]
    assert fields_of(data) == {"consent"}


def test_consent_without_referral_is_refused() -> None:
    data = example()
    data["consent"]["purposes"] = ["notification"]
    assert errors_of(data) == [
        {
            "field": "consent.purposes",
            "reason": "must include 'referral': nothing is shared without it",
        }
    ]


def test_consent_without_recipients_is_refused() -> None:
    data = example()
    data["consent"]["recipients"] = []
    assert fields_of(data) == {"consent.recipients"}


def test_no_needs_and_no_complaint_is_refused_but_a_complaint_alone_is_enough() -> None:
    assert fields_of(example(needs=[])) == {"needs"}
    complaint = {"kind": "complaint", "about_program": "PKH", "text": "bantuan belum cair"}
    assert errors_of(example(needs=[], complaint=complaint)) == []


def test_other_need_needs_a_description() -> None:
    assert fields_of(example(needs=["other"])) == {"other_need"}
    assert fields_of(example(needs=["other"], other_need="")) == {"other_need"}
    assert errors_of(example(needs=["other"], other_need="perbaikan sumur")) == []


def test_a_pregnant_man_is_refused() -> None:
    assert errors_of(with_member(0, pregnant=True)) == [
        {"field": "members[0].pregnant", "reason": "only a female member can be pregnant"}
    ]


def test_a_birth_date_in_the_future_is_refused() -> None:
    # 2084-03-12 shares Sutrisno's NIK date digits, so only the future check can catch it
    with pytest.raises(ValidationError) as err:
        IntakeCreate.model_validate(with_member(0, birth_date="2084-03-12"))
    assert [e["loc"] for e in err.value.errors()] == [("members", 0, "birth_date")]


def test_every_fault_is_reported_at_once() -> None:
    data = example(needs=[])
    data["household"]["village_code"] = "33.04"
    data["members"][0]["pregnant"] = True
    data["members"][2]["nik"] = "123"
    data["consent"]["purposes"] = []
    assert fields_of(data) == {
        "household.village_code",
        "members[0].pregnant",
        "members[2].nik",
        "needs",
        "consent.purposes",
    }


def test_error_reasons_never_repeat_a_nik_or_kk() -> None:
    data = example()
    data["members"][0]["birth_date"] = "1984-03-13"
    data["members"][1]["nik"] = "9904014107880002"
    data["household"]["kk_number"] = "33040101012000x1"
    text = repr(errors_of(data))
    for number in ("3304011203840001", "9904014107880002", "33040101012000x1"):
        assert number not in text


# --------------------------------------------------------------------------- lanes


def member(**changes: Any) -> MemberFacts:
    base: dict[str, Any] = {
        "member_id": uuid4(),
        "relationship": Relationship.head,
        "birth_date": date(1990, 1, 1),
        "sex": Sex.female,
    }
    return MemberFacts(**(base | changes))


def test_no_facts_no_lanes() -> None:
    assert derive_lanes([member(), member(sex=Sex.male)], [], TODAY) == []


def test_pregnant_or_breastfeeding_gives_its_lane() -> None:
    assert derive_lanes([member(pregnant=True)], [], TODAY) == [
        PriorityLane.pregnant_or_breastfeeding
    ]
    assert derive_lanes([member(breastfeeding=True)], [], TODAY) == [
        PriorityLane.pregnant_or_breastfeeding
    ]


def test_elderly_from_the_sixtieth_birthday() -> None:
    sixty_today = date(TODAY.year - 60, TODAY.month, TODAY.day)
    assert derive_lanes([member(birth_date=sixty_today)], [], TODAY) == [PriorityLane.elderly]
    one_day_short = sixty_today + timedelta(days=1)
    assert derive_lanes([member(birth_date=one_day_short)], [], TODAY) == []


@pytest.mark.parametrize("level", [Disability.mild, Disability.moderate, Disability.severe])
def test_any_disability_gives_the_disability_lane(level: Disability) -> None:
    assert derive_lanes([member(disability=level)], [], TODAY) == [PriorityLane.disability]


def test_declared_lanes_are_kept_merged_and_in_a_stable_order() -> None:
    lanes = derive_lanes(
        [member(disability=Disability.severe), member(birth_date=date(1950, 1, 1))],
        [PriorityLane.violence_victim, PriorityLane.disability],
        TODAY,
    )
    assert lanes == [PriorityLane.elderly, PriorityLane.disability, PriorityLane.violence_victim]


def test_the_example_household_is_on_the_pregnancy_lane() -> None:
    members = [
        member(
            birth_date=date.fromisoformat(m["birth_date"]),
            sex=Sex(m["sex"]),
            pregnant=m.get("pregnant", False),
        )
        for m in EXAMPLE_INTAKE["members"]
    ]
    assert derive_lanes(members, [], TODAY) == [PriorityLane.pregnant_or_breastfeeding]
