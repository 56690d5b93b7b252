"""NIK and KK rules, and the keyed hash that stands in for them wherever only lookup is needed.

A NIK is ``PPRRSS DDMMYY XXXX``: region of issue, birth date (women: day + 40), serial.
python-stdnum checks its shape and components; we also check that it agrees with the member's
stated birth date and sex. Error messages never repeat the number.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.id import nik as stdnum_nik

# ASCII only: str.isdigit() also accepts fullwidth and other scripts' digits, which would hash
# differently and make one family two households.
SIXTEEN_ASCII_DIGITS = re.compile(r"[0-9]{16}")


def nik_form_problem(nik: str) -> str | None:
    """Why this cannot be any NIK (the registry file's NIKs come without a birth date)."""
    if not SIXTEEN_ASCII_DIGITS.fullmatch(nik):
        return "must be 16 digits"
    try:
        stdnum_nik.validate(nik)
    except StdnumError as exc:
        return f"is not a valid NIK ({str(exc).rstrip('.').lower()})"
    return None


def nik_problem(nik: str, *, birth_date: date, sex: str) -> str | None:
    """Why this NIK cannot belong to this member, or None when it can."""
    if problem := nik_form_problem(nik):
        return problem
    day, month, year2 = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    nik_female = day > 40
    if (sex == "female") != nik_female:
        return f"encodes sex '{'female' if nik_female else 'male'}' but the member is '{sex}'"
    if (day - 40 if nik_female else day, month, year2) != (
        birth_date.day,
        birth_date.month,
        birth_date.year % 100,
    ):
        return "encodes a birth date different from the member's birth_date"
    return None


def kk_problem(kk: str) -> str | None:
    if not SIXTEEN_ASCII_DIGITS.fullmatch(kk):
        return "must be 16 digits"
    return None


def keyed_hash(key: str, value: str) -> str:
    """HMAC-SHA256 of an identifier: lookups by NIK/KK without storing them in the clear."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
