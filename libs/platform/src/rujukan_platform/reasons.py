"""Why a request field was refused, in both languages, from a pydantic error.

Pydantic writes its reasons in English; a Puskesos officer reads Bahasa Indonesia. ``REASONS``
gives each pydantic error ``type`` an Indonesian sentence, filled from the error's ``ctx``
(limits, expected values). The project's own refusals carry their Indonesian in ``ctx``
(``rujukan_contracts.text.refusal``). The English stays pydantic's message. Neither ever repeats
the refused value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from rujukan_contracts.text import (
    REASON_ID,
    TEXT_PATTERN,
    Localised,
    control_character_reason,
    is_text_pattern,
)
from rujukan_platform.logging import mask

_DATE = "harus tanggal yang sah, ditulis ISO 8601 (contoh 2026-11-24)"
_DATETIME = "harus tanggal dan jam ISO 8601 (contoh 2026-11-24T09:00:00+07:00)"
_INTEGER = "harus bilangan bulat"
_NUMBER = "harus berupa angka"
_BOOL = "harus true atau false"
_OBJECT = "harus berupa objek JSON"
_LIST = "harus berupa daftar (array JSON)"
_UUID = "harus UUID yang sah (contoh 3f2b8c1e-4d5a-4e6f-9a0b-1c2d3e4f5a6b)"

#: pydantic error type → the reason in Bahasa Indonesia; ``{name}`` is filled from ``ctx``
REASONS: Final[Mapping[str, str]] = {
    "missing": "wajib diisi",
    "extra_forbidden": "kolom ini tidak dikenal; hapus atau periksa ejaannya",
    "json_invalid": "bukan JSON yang sah",
    "json_type": "harus berupa JSON",
    "string_type": "harus berupa teks",
    "string_too_short": "minimal {min_length} karakter",
    "string_too_long": "maksimal {max_length} karakter",
    "string_pattern_mismatch": "tidak sesuai pola {pattern}",
    "string_unicode": "bukan teks UTF-8 yang sah",
    "too_short": "minimal {min_length} butir",
    "too_long": "maksimal {max_length} butir",
    "int_type": _INTEGER,
    "int_parsing": _INTEGER,
    "int_from_float": "harus bilangan bulat, tanpa pecahan",
    "int_parsing_size": "angkanya terlalu besar",
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "finite_number": "harus angka yang terhingga",
    "greater_than": "harus lebih dari {gt}",
    "greater_than_equal": "harus lebih dari atau sama dengan {ge}",
    "less_than": "harus kurang dari {lt}",
    "less_than_equal": "harus kurang dari atau sama dengan {le}",
    "multiple_of": "harus kelipatan {multiple_of}",
    "bool_type": _BOOL,
    "bool_parsing": _BOOL,
    "literal_error": "harus salah satu dari: {expected}",
    "enum": "harus salah satu dari: {expected}",
    "uuid_type": _UUID,
    "uuid_parsing": _UUID,
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": "harus tanggal saja, tanpa jam",
    "date_future": "harus tanggal di masa depan",
    "date_past": "harus tanggal di masa lalu",
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "timezone_aware": "harus menyebut zona waktu (contoh +07:00)",
    "timezone_naive": "tidak boleh menyebut zona waktu",
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "dict_type": _OBJECT,
    "list_type": _LIST,
    "tuple_type": _LIST,
    "set_type": _LIST,
    "union_tag_invalid": "{discriminator} harus salah satu dari: {expected_tags}",
    "union_tag_not_found": "wajib menyebut {discriminator}",
    "url_type": "harus berupa URL",
    "url_parsing": "bukan URL yang sah",
    "url_scheme": "skema URL harus {expected_schemes}",
    "value_error": "nilai tidak diterima",
    "assertion_error": "nilai tidak diterima",
}
#: when pydantic adds a type the table does not know yet
UNKNOWN: Final = "nilai tidak diterima"


def _filled(template: str, ctx: Mapping[str, Any]) -> str:
    for name, value in ctx.items():
        text = str(value)
        if name in ("expected", "expected_tags", "expected_schemes"):
            text = text.replace(" or ", " atau ")  # pydantic lists choices as "'a', 'b' or 'c'"
        template = template.replace(f"{{{name}}}", text)
    return template


def field_path(loc: Sequence[Any], whole: str) -> str:
    """Where a pydantic error points, as a person writes it (``members[0].nik``); ``whole``
    when it points at the whole input."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:  # a refused key may hold a lone surrogate: escape it, or the answer cannot encode
            name = str(item).encode("utf-8", "backslashreplace").decode("utf-8")
            parts.append(("." if parts else "") + name)
    return "".join(parts) or whole


def field_reason(error: Mapping[str, Any]) -> Localised:
    """Why a field was refused, as a person can read it (never the refused value itself)."""
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    kind = str(error["type"])
    pattern = ctx.get("pattern")
    if kind == "string_pattern_mismatch" and is_text_pattern(pattern):
        free_text = pattern == TEXT_PATTERN
        if reason := control_character_reason(error.get("input"), free_text=free_text):
            return reason
    english = str(error["msg"])
    if kind == "string_unicode":
        english = "is not valid UTF-8 text"
    if REASON_ID in ctx:
        indonesian = str(ctx[REASON_ID])
    elif kind in ("value_error", "assertion_error"):  # a validator's own words: English only
        why = english.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        indonesian = f"{REASONS[kind]}: {why}"
    else:
        indonesian = _filled(REASONS.get(kind, UNKNOWN), ctx)
    return Localised(mask(indonesian), mask(english))
