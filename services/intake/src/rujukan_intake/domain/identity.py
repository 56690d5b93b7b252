"""NIK and KK rules, and the keyed hash that stands in for them wherever only lookup is needed.

A NIK is ``PPRRSS DDMMYY XXXX``: region of issue, birth date (women: day + 40), serial.
python-stdnum checks its shape and components; we also check that it agrees with the member's
stated birth date and sex. Error messages never repeat the number; they are given in Bahasa
Indonesia and English (``Localised``), for the officer who fixes the form.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache

from stdnum.exceptions import InvalidComponent, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.id import nik as stdnum_nik

from rujukan_contracts.text import Localised

# ASCII only: str.isdigit() also accepts fullwidth and other scripts' digits, which would hash
# differently and make one family two households.
SIXTEEN_ASCII_DIGITS = re.compile(r"[0-9]{16}")
SIXTEEN_DIGITS = Localised("harus 16 angka", "must be 16 digits")
#: a member's sex as the officer says it
SEX_IN_WORDS = {"female": "perempuan", "male": "laki-laki"}


def _why_not_a_nik(exc: StdnumError) -> str:
    if isinstance(exc, InvalidComponent):
        return "kode wilayah atau tanggal lahirnya tidak mungkin"
    if isinstance(exc, InvalidLength):
        return "panjangnya salah"
    return "susunannya salah"


def nik_form_problem(nik: str) -> Localised | None:
    """Why this cannot be any NIK (the registry file's NIKs come without a birth date)."""
    if not SIXTEEN_ASCII_DIGITS.fullmatch(nik):
        return SIXTEEN_DIGITS
    try:  # stdnum_nik.validate's checks, its region lookup once per region
        stdnum_nik.get_birth_date(nik)
        if not _region_of_issue_exists(nik[:4]):
            raise InvalidComponent()
    except StdnumError as exc:
        return Localised(
            f"bukan NIK yang sah ({_why_not_a_nik(exc)})",
            f"is not a valid NIK ({str(exc).rstrip('.').lower()})",
        )
    return None


@lru_cache(maxsize=10_000)  # every four digits there are
def _region_of_issue_exists(province_regency: str) -> bool:
    """Whether python-stdnum knows this region of issue (a NIK's first four digits): its
    verdict on a NIK of the region born on a day that exists. A NIK carries no check digit, so
    with 16 digits and a possible birth date the region is all ``validate`` has left to check;
    looking it up in stdnum's database was a tenth of the batch endpoint's CPU
    (bench/results/intake_single.md), and Indonesia has some 514 regencies."""
    some_district, first_of_january_1970, some_serial = "01", "010170", "0001"
    return stdnum_nik.is_valid(
        province_regency + some_district + first_of_january_1970 + some_serial
    )


def nik_problem(nik: str, *, birth_date: date, sex: str) -> Localised | None:
    """Why this NIK cannot belong to this member, or None when it can."""
    if problem := nik_form_problem(nik):
        return problem
    day, month, year2 = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    nik_female = day > 40
    if (sex == "female") != nik_female:
        encoded = "female" if nik_female else "male"
        return Localised(
            f"NIK ini milik seorang {SEX_IN_WORDS[encoded]}, tetapi anggota ini tercatat "
            f"{SEX_IN_WORDS.get(sex, sex)}",
            f"encodes sex '{encoded}' but the member is '{sex}'",
        )
    if (day - 40 if nik_female else day, month, year2) != (
        birth_date.day,
        birth_date.month,
        birth_date.year % 100,
    ):
        return Localised(
            "tanggal lahir dalam NIK berbeda dari tanggal lahir anggota",
            "encodes a birth date different from the member's birth_date",
        )
    return None


def kk_problem(kk: str) -> Localised | None:
    if not SIXTEEN_ASCII_DIGITS.fullmatch(kk):
        return SIXTEEN_DIGITS
    return None


def keyed_hash(key: str, value: str) -> str:
    """HMAC-SHA256 of an identifier: lookups by NIK/KK without storing them in the clear."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
