"""The shared text, contact and date types: what they refuse, what they keep, how they say why."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from pydantic import TypeAdapter, ValidationError

from rujukan_contracts.events import (
    ContactPoint,
    IntakeContactV1,
    IntakeSubmittedV1,
    ProgramPublishedV1,
    ReferralOutcomeV1,
)
from rujukan_contracts.text import (
    BirthDate,
    ConsentTime,
    Day,
    Email,
    JsonObject,
    Line,
    Localised,
    Phone,
    Text,
    Timestamp,
    control_character_reason,
)

LINE: TypeAdapter[str] = TypeAdapter(Line)
TEXT: TypeAdapter[str] = TypeAdapter(Text)

REFUSED_EVERYWHERE = ["\x00", "\x01", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f", "\r"]


def refused(adapter: TypeAdapter[Any], value: Any) -> str:
    with pytest.raises(ValidationError) as err:
        adapter.validate_python(value)
    return str(err.value.errors()[0]["type"])


@pytest.mark.parametrize("ch", REFUSED_EVERYWHERE, ids=lambda c: f"U+{ord(c):04X}")
def test_control_characters_are_refused_in_single_line_and_free_text(ch: str) -> None:
    assert refused(LINE, f"Sutri{ch}sno") == "string_pattern_mismatch"
    assert refused(TEXT, f"Sutri{ch}sno") == "string_pattern_mismatch"


def test_free_text_keeps_tab_and_newline_single_line_does_not() -> None:
    assert TEXT.validate_python("baris satu\n\tbaris dua") == "baris satu\n\tbaris dua"
    assert refused(LINE, "baris satu\nbaris dua") == "string_pattern_mismatch"
    assert refused(LINE, "kolom\tkolom") == "string_pattern_mismatch"
    assert refused(LINE, "trailing newline\n") == "string_pattern_mismatch"


def test_printable_text_passes_unchanged() -> None:
    for value in ["", "Puskesos Desa Berta", "Ayu Lestari \u2013 anak", "Ñandú 😀", "\u00a0nbsp"]:
        assert LINE.validate_python(value) == value
        assert TEXT.validate_python(value) == value


def test_lone_surrogates_are_refused() -> None:
    assert refused(LINE, "a\ud800b") == "string_unicode"
    assert refused(TEXT, "\udfff") == "string_unicode"


def test_the_json_schema_carries_the_pattern() -> None:
    assert "pattern" in LINE.json_schema() and "pattern" in TEXT.json_schema()


def test_the_reason_names_the_character_in_both_languages() -> None:
    assert control_character_reason("a\x00b") == Localised(
        "mengandung karakter kontrol (U+0000)", "contains a control character (U+0000)"
    )
    assert control_character_reason("a\x85") is not None and "U+0085" in str(
        control_character_reason("a\x85")
    )
    assert control_character_reason("a\nb") is None
    assert "U+000A" in str(control_character_reason("a\nb", free_text=False))
    assert control_character_reason("clean") is None
    assert control_character_reason(42) is None
    surrogate = control_character_reason("\ud800")
    assert surrogate is not None and "UTF-8" in surrogate.id and "UTF-8" in surrogate.en


# --------------------------------------------------------------------------- contacts


def test_email_is_checked_for_syntax_and_normalized_without_dns() -> None:
    email: TypeAdapter[str] = TypeAdapter(Email)
    assert email.validate_python(" Warga.Desa@Example.ORG ") == "Warga.Desa@example.org"
    assert email.validate_python("keluarga@desa-berta.invalid-tld-no-dns.id")
    for bad in ["warga", "warga@", "@example.org", "a b@example.org", "a\x00@example.org"]:
        with pytest.raises(ValidationError):
            email.validate_python(bad)
    with pytest.raises(ValidationError) as err:
        email.validate_python("warga@@example.org")
    (error,) = err.value.errors()
    assert error["ctx"]["reason_id"].startswith("bukan alamat e-mail yang sah: ")
    assert error["msg"].startswith("is not a valid e-mail address: ")


@pytest.mark.parametrize(
    ("given", "e164"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("62 812 3456 7890", "+6281234567890"),
        ("+6281234567890", "+6281234567890"),
        ("(0812) 345.678", "+62812345678"),
        ("021 555 1234", "+62215551234"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_phone_numbers_are_kept_in_e164(given: str, e164: str) -> None:
    assert TypeAdapter(Phone).validate_python(given) == e164


@pytest.mark.parametrize(
    "bad", ["12", "", "call the village head", "+62abc4567890", "0812\x003456", "081234567890123"]
)
def test_unusable_phone_numbers_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Phone).validate_python(bad)


def test_the_contact_of_an_event_is_normalized_or_refused() -> None:
    contact = ContactPoint.model_validate({"email": "A@Example.org", "phone": "0812-3456-7890"})
    assert (contact.email, contact.phone) == ("A@example.org", "+6281234567890")
    with pytest.raises(ValidationError):
        ContactPoint.model_validate({"email": "a\x00@example.org"})


# --------------------------------------------------------------------------- dates


def test_birth_dates_are_from_1900_and_not_in_the_future() -> None:
    birth: TypeAdapter[date] = TypeAdapter(BirthDate)
    assert birth.validate_python("1900-01-01") == date(1900, 1, 1)
    assert birth.validate_python(date.today()) == date.today()
    with pytest.raises(ValidationError):
        birth.validate_python("1850-06-01")
    with pytest.raises(ValidationError) as err:
        birth.validate_python(date.today() + timedelta(days=30))
    (error,) = err.value.errors()
    assert error["ctx"]["reason_id"] == "tidak boleh di masa depan"
    assert error["msg"] == "must not be in the future"


def test_consent_is_not_in_the_future_beyond_clock_skew() -> None:
    given: TypeAdapter[datetime] = TypeAdapter(ConsentTime)
    now = datetime.now(UTC)
    assert given.validate_python(now + timedelta(minutes=4)) == now + timedelta(minutes=4)
    assert given.validate_python("2026-01-02T09:00:00")  # no zone: read as UTC, not a crash
    with pytest.raises(ValidationError):
        given.validate_python(now + timedelta(minutes=6))
    with pytest.raises(ValidationError):
        given.validate_python("2999-01-01T00:00:00+07:00")


# --------------------------------------------------------------------------- JSON trees


def test_json_objects_refuse_control_characters_in_keys_and_strings() -> None:
    tree: TypeAdapter[dict[str, Any]] = TypeAdapter(JsonObject)
    ok = {"kind": "criterion", "cel": "members.exists(m,\n  m.age >= 60)", "n": 1, "x": None}
    assert tree.validate_python(ok) == ok
    with pytest.raises(ValidationError) as err:
        tree.validate_python({"of": [{"label": "ok"}, {"label": "a\x00"}]})
    assert "of[1].label" in str(err.value) and "U+0000" in str(err.value)
    with pytest.raises(ValidationError) as err:
        tree.validate_python({"a\x00b": 1})
    assert "a\\u0000b" in str(err.value)


# --------------------------------------------------------------------------- events


def intake_event(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "intake_id": str(uuid4()),
        "household_id": str(uuid4()),
        "village_code": "33.04.01.2001",
        "submitted_at": "2026-11-24T02:00:00Z",
        "members": [
            {
                "member_id": str(uuid4()),
                "relationship": "head",
                "birth_date": "1984-03-12",
                "sex": "male",
            }
        ],
        "registry": {"found": True, "decile": 2, "checked_at": "2026-11-24T02:00:00Z"},
        "needs": ["food"],
        "consent": {
            "purposes": ["referral", "notification"],
            "recipients": ["*"],
            "given_at": "2026-11-24T01:59:00Z",
        },
    }
    data.update(changes)
    return data


def test_an_intake_event_written_straight_to_kafka_is_checked_like_a_request() -> None:
    IntakeSubmittedV1.model_validate_json(json.dumps(intake_event()))
    poisoned = [
        intake_event(village_code="33.04.01.2001\u0000"),
        intake_event(other_need="x\u0000"),
        intake_event(complaint={"kind": "complaint", "text": "tolong\u0000"}),
    ]
    bad_member = intake_event()
    bad_member["members"][0]["birth_date"] = "1850-01-01"
    poisoned.append(bad_member)
    future_consent = intake_event()
    future_consent["consent"]["given_at"] = "2999-01-01T00:00:00Z"
    poisoned.append(future_consent)
    for data in poisoned:
        with pytest.raises(ValidationError):
            IntakeSubmittedV1.model_validate_json(json.dumps(data))


def test_a_contact_event_written_straight_to_kafka_is_checked_like_a_request() -> None:
    def contact_event(**contact: str) -> str:
        return json.dumps(
            {
                "intake_id": str(uuid4()),
                "household_id": str(uuid4()),
                "submitted_at": "2026-11-24T02:00:00+07:00",
                "contact": contact,
            }
        )

    IntakeContactV1.model_validate_json(contact_event(email="warga@example.org"))
    for bad in ({"email": "a\u0000@example.org"}, {"phone": "call the village head"}):
        with pytest.raises(ValidationError):
            IntakeContactV1.model_validate_json(contact_event(**bad))


def test_an_intake_event_of_before_the_split_still_reads_without_its_contact() -> None:
    """Records written while contacts rode on intake.submitted: the contact is dropped."""
    event = IntakeSubmittedV1.model_validate(intake_event(contact={"email": "w@example.org"}))
    assert "contact" not in event.model_dump()


def test_free_text_in_events_keeps_newlines() -> None:
    event = IntakeSubmittedV1.model_validate(
        intake_event(complaint={"kind": "complaint", "text": "baris satu\nbaris dua"})
    )
    assert event.complaint is not None and "\n" in event.complaint.text
    outcome = {
        "referral_id": str(uuid4()),
        "program_code": "PKH",
        "outcome": "accepted",
        "note": "diterima\n\tterima kasih",
        "reported_at": "2026-11-24T02:00:00Z",
    }
    assert ReferralOutcomeV1.model_validate(outcome).note == "diterima\n\tterima kasih"
    with pytest.raises(ValidationError):
        ReferralOutcomeV1.model_validate({**outcome, "reported_by": "agency\nadmin"})


def test_a_program_event_with_a_control_character_in_its_rule_is_refused() -> None:
    event = {
        "code": "PKH",
        "version": 1,
        "effective_from": "2026-01-01",
        "status": "active",
        "name": {"id": "PKH", "en": "PKH"},
        "owner_agency": "Kemensos",
        "level": "national",
        "sla_days": {"receive": 3, "decide": 7, "serve": 30},
        "rule": {"kind": "criterion", "name": "x", "label": "X", "cel": "true"},
        "published_at": "2026-11-24T02:00:00Z",
    }
    ProgramPublishedV1.model_validate(event)
    with pytest.raises(ValidationError):
        ProgramPublishedV1.model_validate({**event, "rule": {**event["rule"], "cel": "'\x00'"}})


def test_dates_are_text_not_seconds_since_1970() -> None:
    with pytest.raises(ValidationError, match="ISO 8601"):
        TypeAdapter(ConsentTime).validate_python(0)
    with pytest.raises(ValidationError, match="ISO 8601"):
        TypeAdapter(BirthDate).validate_json("86400")
    assert TypeAdapter(BirthDate).validate_json('"1984-03-12"') == date(1984, 3, 12)
    for adapter in (TypeAdapter(Timestamp), TypeAdapter(Day)):
        with pytest.raises(ValidationError, match="ISO 8601"):
            adapter.validate_python(0)
    assert TypeAdapter(Day).validate_python("2026-01-01") == date(2026, 1, 1)


def test_a_timestamp_written_as_a_number_is_refused_even_as_text() -> None:
    """``?before=0`` arrives as the text "0": still not an ISO 8601 date-time."""
    adapter = TypeAdapter(Timestamp)
    for number in (0, 1.5, "0", " 1700000000 ", "-3", "2.5"):
        with pytest.raises(ValidationError):
            adapter.validate_python(number)
    assert adapter.validate_python("2026-12-04T00:00:00+07:00").year == 2026
