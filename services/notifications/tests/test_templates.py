"""Status messages in Bahasa Indonesia and English: complete, and strict about their variables."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined, UndefinedError

from rujukan_contracts.events import ReferralStatus
from rujukan_notifications.domain import messages
from rujukan_notifications.domain.messages import (
    INBOX_EVENTS,
    KINDS,
    LANGUAGES,
    RESIDENT_STATUSES,
    SAMPLE,
    STATUSES,
    load_templates,
    render,
    render_status,
    template_name,
    webhook_payload,
)

TEMPLATES = Path(messages.__file__).resolve().parents[1] / "templates"
CONTEXT = {
    **SAMPLE,
    "village_code": "33.04.01.2001",
    "program_code": "PKH",
    "program_name": "Program Keluarga Harapan",
    "referral_id": "ref-0042",
    "note": "catatan-khusus",
}


def test_there_is_a_template_of_every_kind_in_both_languages() -> None:
    assert set(STATUSES) == {s.value for s in ReferralStatus}
    assert set(KINDS["status"]) == set(STATUSES)
    expected = {f"{kind}_{name}.txt" for kind, names in KINDS.items() for name in names}
    for language in LANGUAGES:
        found = {p.name for p in (TEMPLATES / language).glob("*.txt")}
        assert found == expected, language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", STATUSES)
def test_every_status_renders_a_subject_and_a_body(status: str, language: str) -> None:
    message = render_status(status, language, {**CONTEXT, "status": status})
    assert message.subject and "\n" not in message.subject
    assert not message.subject.startswith("Subject")
    assert "{{" not in message.subject + message.body and "{%" not in message.body
    assert message.body.strip() and not message.body.startswith("\n")
    assert "ref-0042" in message.body  # the resident can always name the referral
    assert "PKH" in message.subject + message.body or "Program Keluarga" in message.body


@pytest.mark.parametrize("status", STATUSES)
def test_indonesian_and_english_messages_differ(status: str) -> None:
    indonesian = render_status(status, "id", CONTEXT)
    english = render_status(status, "en", CONTEXT)
    assert indonesian.subject != english.subject
    assert indonesian.body != english.body


def test_known_subjects() -> None:
    assert render_status("accepted", "id", CONTEXT).subject == "Rujukan ke PKH diterima"
    assert render_status("accepted", "en", CONTEXT).subject == "Referral to PKH accepted"
    assert render_status("rejected", "id", CONTEXT).subject == "Rujukan ke PKH ditolak"


def test_notes_and_reasons_appear_only_when_given() -> None:
    with_note = render_status("accepted", "id", CONTEXT)
    without = render_status("accepted", "id", {**CONTEXT, "note": None})
    assert "Catatan: catatan-khusus" in with_note.body
    assert "Catatan" not in without.body
    rejected = render_status("rejected", "en", {**CONTEXT, "reason_code": "not_eligible"})
    assert "not_eligible" in rejected.body


def test_an_unknown_language_falls_back_to_indonesian() -> None:
    assert render_status("completed", "jv", CONTEXT) == render_status("completed", "id", CONTEXT)


@pytest.mark.parametrize("missing", ["program_code", "program_name", "referral_id", "note"])
def test_rendering_with_a_missing_variable_raises(missing: str) -> None:
    context = {k: v for k, v in CONTEXT.items() if k != missing}
    with pytest.raises(UndefinedError, match=missing):
        render_status("accepted", "id", context)


def _copy_templates(target: Path) -> None:
    for language in LANGUAGES:
        (target / language).mkdir(parents=True)
        for source in (TEMPLATES / language).glob("*.txt"):
            (target / language / source.name).write_text(source.read_text("utf-8"), "utf-8")


def test_a_template_naming_a_missing_variable_fails_when_rendered(tmp_path: Path) -> None:
    _copy_templates(tmp_path)
    (tmp_path / "en" / "status_expired.txt").write_text(
        "Subject: {{ program_code }} overdue\n\nDear {{ resident_name }}, it is late.\n", "utf-8"
    )
    env = Environment(loader=FileSystemLoader(tmp_path), undefined=StrictUndefined)
    assert env.get_template(template_name("status", "accepted", "en")).render(**SAMPLE)
    with pytest.raises(UndefinedError, match="resident_name"):
        messages._render(env, "status", "expired", "en", SAMPLE)


@pytest.fixture
def broken_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The service's templates with one broken, loaded the way the service loads them."""
    _copy_templates(tmp_path)
    monkeypatch.setattr(messages, "PackageLoader", lambda *_a, **_k: FileSystemLoader(tmp_path))
    messages._environment.cache_clear()
    try:
        yield tmp_path
    finally:
        monkeypatch.undo()
        messages._environment.cache_clear()


def test_a_broken_template_stops_loading_at_start_up(broken_templates: Path) -> None:
    load_templates()  # the intact copy loads
    messages._environment.cache_clear()
    (broken_templates / "id" / "status_withdrawn.txt").write_text(
        "Subject: Rujukan {{ referral_id }} dibatalkan\n\n{{ alasan_pembatalan }}\n", "utf-8"
    )
    with pytest.raises(UndefinedError, match="alasan_pembatalan"):
        load_templates()


def test_the_real_templates_load() -> None:
    messages._environment.cache_clear()
    load_templates()
    assert render_status("created", "id", CONTEXT).subject == "Rujukan ke PKH dibuat"


GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", RESIDENT_STATUSES)
def test_sms_variants_fit_one_gsm7_segment(status: str, language: str) -> None:
    # the longest program code the registry allows (32) with a full referral id
    message = render(f"sms_{status}", language, {**CONTEXT, "program_code": "P" * 32})
    assert message.subject == "" and "\n" not in message.body
    assert len(message.body) <= 160, message.body
    assert set(message.body) <= GSM7, set(message.body) - GSM7
    assert "ref-0042" in message.body
    assert render(f"sms_{status}", "id", CONTEXT) != render(f"sms_{status}", "en", CONTEXT)


def test_a_rejection_tells_the_resident_what_to_do_next() -> None:
    for kind in ("status", "sms"):
        assert "Puskesos" in render(f"{kind}_rejected", "id", CONTEXT).body
        assert "Puskesos" in render(f"{kind}_rejected", "en", CONTEXT).body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", INBOX_EVENTS)
def test_operator_inbox_messages_name_the_village_and_referral(event: str, language: str) -> None:
    message = render(f"inbox_{event}", language, {**CONTEXT, "status": "expired"})
    assert "33.04.01.2001" in message.subject and "PKH" in message.subject
    assert "ref-0042" in message.body and "catatan-khusus" in message.body
    assert message != render(f"inbox_{event}", "en" if language == "id" else "id", CONTEXT)


def test_the_agency_webhook_payload_is_json_without_personal_data() -> None:
    event_id = uuid.uuid4()
    ctx = {**CONTEXT, "status": "created", "changed_at": "2026-11-24T01:00:00Z"}
    body = webhook_payload(ctx, event_id=event_id)
    assert json.loads(body) == {
        "event_id": str(event_id),
        "type": "referral.created",
        "referral_id": "ref-0042",
        "program_code": "PKH",
        "village_code": "33.04.01.2001",
        "status": "created",
        "changed_at": "2026-11-24T01:00:00Z",
    }


def test_a_broken_inbox_template_stops_loading_at_start_up(broken_templates: Path) -> None:
    (broken_templates / "en" / "inbox_escalated.txt").write_text(
        "Subject: escalated {{ village_code }}\n\n{{ supervisor_name }} please act\n", "utf-8"
    )
    with pytest.raises(UndefinedError, match="supervisor_name"):
        load_templates()


def test_a_broken_sms_template_stops_loading_at_start_up(broken_templates: Path) -> None:
    (broken_templates / "id" / "sms_accepted.txt").write_text(
        "Rujukan {{ referral_id }} diterima di {{ kantor }}\n", "utf-8"
    )
    with pytest.raises(UndefinedError, match="kantor"):
        load_templates()
