"""The visit form becomes intake's request, and intake's refusals find their inputs."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from starlette.datastructures import FormData

from rujukan_workbench.catalogue import translate
from rujukan_workbench.forms import (
    field_errors,
    input_label,
    input_name,
    intake_request,
    nik_check,
)

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def form(*pairs: tuple[str, str]) -> FormData:
    return FormData(list(pairs))


def test_the_form_makes_the_intake_request() -> None:
    body = intake_request(
        form(
            ("kk_number", " 3304011112178237 "),
            ("village_code", "33.04.01.2001"),
            ("owns_land", "on"),
            ("members", "2"),
            ("m0_nik", "3304015505900011"),
            ("m0_name", "Siti Aminah"),
            ("m0_birth_date", "1990-05-15"),
            ("m0_sex", "female"),
            ("m0_relationship", "head"),
            ("m0_disability", "none"),
            ("m0_pregnant", "on"),
            ("m1_nik", ""),
            ("m1_name", ""),
            ("needs", "health_insurance"),
            ("needs", "food"),
            ("consent_purposes", "referral"),
            ("recipients", "PKH, PBI-JK"),
            ("contact_email", ""),
        ),
        puskesos="Puskesos Berta",
        now=NOW,
    )
    assert body["household"] == {
        "kk_number": "3304011112178237",
        "village_code": "33.04.01.2001",
        "owns_land": True,
        "house_below_standard": False,
        "missing_documents": [],
    }
    assert body["members"] == [  # the empty second row is dropped
        {
            "nik": "3304015505900011",
            "name": "Siti Aminah",
            "birth_date": "1990-05-15",
            "sex": "female",
            "relationship": "head",
            "disability": "none",
            "pregnant": True,
        }
    ]
    assert body["needs"] == ["health_insurance", "food"]
    assert body["consent"] == {
        "purposes": ["referral"],
        "recipients": ["PKH", "PBI-JK"],
        "given_at": NOW.isoformat(),
    }
    assert "contact" not in body and body["taken_by"]["puskesos"] == "Puskesos Berta"


def test_without_consent_the_request_carries_none_for_intake_to_refuse() -> None:
    assert "consent" not in intake_request(form(("members", "1")), puskesos="P")


def test_intake_fields_map_to_the_form_inputs() -> None:
    assert input_name("members[3].nik") == "m3_nik"
    assert input_name("household.kk_number") == "kk_number"
    assert input_name("consent.purposes") == "consent_purposes"
    assert input_name("contact.email") == "contact_email"
    assert input_name("consent.recipients") == "recipients"
    problem = {
        "errors": [
            {"field": "members[0].nik", "reason": "harus 16 angka"},
            {"field": "members[0].nik", "reason": "a second reason is not shown"},
            {"field": "members[1].birth_date", "reason": "bukan tanggal"},
        ]
    }
    assert field_errors(problem) == {"m0_nik": "harus 16 angka", "m1_birth_date": "bukan tanggal"}


def test_the_nik_check_is_intakes() -> None:
    assert nik_check("3304015505900011", "1990-05-15", "female") is None
    wrong_sex = nik_check("3304015505900011", "1990-05-15", "male")
    assert wrong_sex is not None and "perempuan" in wrong_sex.id
    assert nik_check("3304015505900011", "", "") is None  # its form alone is a NIK's
    short = nik_check("33040155", "", "")
    assert short is not None and short.id == "harus 16 angka"


def test_a_complaint_goes_with_the_visit_only_when_the_resident_said_something() -> None:
    said = intake_request(
        form(
            ("complaint_kind", "complaint"),
            ("complaint_category", "aid_not_received"),
            ("complaint_text", " BPNT bulan ini belum diterima "),
            ("complaint_about_program", "SEMBAKO"),
        ),
        puskesos="P",
    )
    assert said["complaint"] == {
        "kind": "complaint",
        "category": "aid_not_received",
        "text": "BPNT bulan ini belum diterima",
        "about_program": "SEMBAKO",
    }
    quiet = intake_request(
        form(("complaint_kind", "question"), ("complaint_text", " ")), puskesos="P"
    )
    assert "complaint" not in quiet
    assert input_name("complaint.text") == "complaint_text"


def test_a_refused_input_is_named_by_its_label() -> None:
    t = partial(translate, "id")
    assert input_label("kk_number", t) == "Nomor KK (16 angka)"
    assert input_label("m1_birth_date", t) == "Anggota 2: Tanggal lahir"
    assert input_label("body", t) == "body"  # a field the form has no input for, as it came
