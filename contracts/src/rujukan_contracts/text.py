"""The string, contact and date types every event and every request is made of.

PostgreSQL refuses NUL and invalid UTF-8 in text and jsonb, and no person can read a control
character, so every text field refuses them at the door (HTTP 422) and on a topic (the DLQ):

* ``Line``: single-line text — no C0/C1 control character, no DEL;
* ``Text``: free text (complaints, notes, reasons) — the same, but tab and newline are allowed.

Both are a ``pattern`` constraint, so pydantic checks them in its Rust core (cheap on the
router's hot path) and they appear in the JSON Schema and the OpenAPI. A lone surrogate is
refused by the same check (pydantic cannot hand it to Rust as UTF-8).

``Email`` (syntax only, normalized, no DNS) and ``Phone`` (E.164, default region Indonesia) make
sure no consumer sees a contact it cannot use; ``BirthDate`` and ``ConsentTime`` keep dates
plausible. Error reasons are bilingual (``Localised``): Indonesian for the officer who reads
them, English when the caller asks for it. A refusal's English is pydantic's message; its
Indonesian rides in the error's ``ctx`` as ``reason_id`` (``refusal``), where the platform's
problem details find it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Final

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

__all__ = [
    "CLOCK_SKEW",
    "EARLIEST_BIRTH_DATE",
    "LINE_PATTERN",
    "PHONE_REGION",
    "TEXT_PATTERN",
    "BirthDate",
    "ConsentTime",
    "Day",
    "Email",
    "JsonObject",
    "Line",
    "Localised",
    "Phone",
    "Text",
    "Timestamp",
    "control_character",
    "control_character_reason",
    "is_text_pattern",
    "refusal",
]

LINE_PATTERN: Final = r"^[^\x00-\x1f\x7f-\x9f]*$"
TEXT_PATTERN: Final = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
PHONE_REGION: Final = "ID"
EARLIEST_BIRTH_DATE: Final = date(1900, 1, 1)
CLOCK_SKEW: Final = timedelta(minutes=5)

_FREE_TEXT_ALLOWED = frozenset("\t\n")

#: where a pydantic error's ``ctx`` carries its reason in Bahasa Indonesia
REASON_ID: Final = "reason_id"


@dataclass(frozen=True, slots=True)
class Localised:
    """Words in both languages the platform writes; which one a person reads is chosen when the
    answer is written (``rujukan_platform.language.say``). ``str()`` is the Indonesian."""

    id: str
    en: str

    def __str__(self) -> str:
        return self.id


def refusal(
    type_: str, reason: Localised, ctx: Mapping[str, Any] | None = None
) -> PydanticCustomError:
    """A pydantic refusal that can be read in both languages: pydantic's message is the English,
    ``ctx['reason_id']`` the Indonesian (``{name}`` in either is filled from ``ctx``)."""
    values = dict(ctx or {})
    indonesian = reason.id
    for name, value in values.items():
        indonesian = indonesian.replace(f"{{{name}}}", str(value))
    return PydanticCustomError(type_, reason.en, {**values, REASON_ID: indonesian})


Line = Annotated[str, StringConstraints(pattern=LINE_PATTERN)]
Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]


def is_text_pattern(pattern: object) -> bool:
    """Whether a pydantic ``string_pattern_mismatch`` came from ``Line`` or ``Text``."""
    return pattern in (LINE_PATTERN, TEXT_PATTERN)


def control_character(value: str, *, free_text: bool = False) -> str | None:
    """The first character ``Line`` (or ``Text``, with ``free_text``) refuses, if any."""
    for ch in value:
        code = ord(ch)
        if (code < 0x20 or 0x7F <= code <= 0x9F) and not (free_text and ch in _FREE_TEXT_ALLOWED):
            return ch
        if 0xD800 <= code <= 0xDFFF:
            return ch
    return None


def control_character_reason(value: object, *, free_text: bool = True) -> Localised | None:
    """The reason a person reads: ``mengandung karakter kontrol (U+0000)`` / ``contains ...``."""
    if not isinstance(value, str):
        return None
    ch = control_character(value, free_text=free_text)
    if ch is None:
        return None
    code = f"U+{ord(ch):04X}"
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return Localised(f"bukan teks UTF-8 yang sah ({code})", f"is not valid UTF-8 text ({code})")
    return Localised(
        f"mengandung karakter kontrol ({code})", f"contains a control character ({code})"
    )


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise refusal(
            "email",
            Localised(
                "bukan alamat e-mail yang sah: {why}", "is not a valid e-mail address: {why}"
            ),
            {"why": str(exc)},
        ) from None


def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise refusal(
            "phone",
            Localised(
                "bukan nomor telepon yang sah (contoh 0812-3456-7890 atau +6281234567890)",
                "is not a valid phone number (e.g. 0812-3456-7890 or +6281234567890)",
            ),
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _written_out(value: Any) -> Any:
    """A date is written as ISO 8601 text, as the schema says; pydantic alone would also take a
    number as seconds since 1970, so ``"given_at": 0`` (or ``?before=0`` in a query, where the
    number arrives as text) would be 1970-01-01."""
    if isinstance(value, int | float) or (
        isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", value)
    ):
        raise refusal(
            "date_type",
            Localised(
                "harus berupa teks ISO 8601 (contoh 2026-11-24)",
                "must be ISO 8601 text (e.g. 2026-11-24)",
            ),
        )
    return value


IN_FUTURE: Final = Localised("tidak boleh di masa depan", "must not be in the future")


def _not_in_future(value: date) -> date:
    # a day of slack: the producer's "today" may be a time zone ahead of the reader's
    if value > datetime.now(UTC).date() + timedelta(days=1):
        raise refusal("date_in_future", IN_FUTURE)
    return value


def _not_after_now(value: datetime) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if aware > datetime.now(UTC) + CLOCK_SKEW:
        raise refusal("datetime_in_future", IN_FUTURE)
    return value


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=LINE_PATTERN),
    AfterValidator(_email),
    Field(json_schema_extra={"format": "email"}),
]
"""An e-mail address, syntax checked (no DNS) and normalized (the domain in lower case)."""

Phone = Annotated[
    str,
    StringConstraints(max_length=40, pattern=LINE_PATTERN),
    AfterValidator(_phone),
    Field(description="a phone number; 0812… is read as Indonesian; kept as E.164 (+62812…)"),
]
"""A phone number anyone can dial, kept in E.164 (``+6281234567890``)."""

BirthDate = Annotated[
    date,
    Field(ge=EARLIEST_BIRTH_DATE),
    BeforeValidator(_written_out),
    AfterValidator(_not_in_future),
]
"""A birth date from 1900-01-01, not in the future."""

ConsentTime = Annotated[datetime, BeforeValidator(_written_out), AfterValidator(_not_after_now)]
"""When consent was given: not in the future beyond five minutes of clock skew."""

Timestamp = Annotated[datetime, BeforeValidator(_written_out)]
"""A date and time in a request, written as ISO 8601 text (never seconds since 1970)."""

Day = Annotated[date, BeforeValidator(_written_out)]
"""A calendar date in a request, written as ISO 8601 text."""


def _printable(text: str) -> str:
    """``text`` with every refused character written as ``\\uXXXX`` (safe in a reason)."""
    return "".join(f"\\u{ord(c):04x}" if control_character(c) else c for c in text)


def _refuse(path: str, reason: Localised | None) -> None:
    if reason:
        where = _printable(path)
        raise refusal(
            "control_character",
            Localised(f"{{path}}: {reason.id}", f"{{path}}: {reason.en}"),
            {"path": where},
        )


def _json_without_control_characters(value: dict[str, Any]) -> dict[str, Any]:
    """Walk a JSON object (a rule tree, a criterion's values): every key single-line, every
    string free text. Not on any hot path: programs and decisions, not intakes."""

    def walk(node: Any, path: str) -> None:
        if isinstance(node, str):
            _refuse(path, control_character_reason(node, free_text=True))
        elif isinstance(node, Mapping):
            for key, child in node.items():
                where = f"{path}.{key}" if path else str(key)
                _refuse(where, control_character_reason(key, free_text=False))
                walk(child, where)
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{path}[{i}]")

    walk(value, "")
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_json_without_control_characters)]
"""A JSON object whose strings hold no control characters (the rule tree of a program)."""
