"""Residents' messages and operators' inbox in Bahasa Indonesia and English: words, not codes;
the short reference, never a UUID; only the agency's public note; strict about their variables."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined, UndefinedError

from rujukan_contracts.events import ReasonCode, ReferralStatus
from rujukan_contracts.references import referral_reference
from rujukan_notifications.domain import messages
from rujukan_notifications.domain.messages import (
    INBOX_EVENTS,
    KINDS,
    LANGUAGES,
    SAMPLE,
    load_templates,
    previewable,
    render,
    template_name,
    webhook_payload,
)
from rujukan_notifications.domain.news import News, digest_context

TEMPLATES = Path(messages.__file__).resolve().parents[1] / "templates"
VILLAGE = "33.04.01.2001"
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PRIVATE = "Tunggakan iuran BPJS Rp 1.200.000"
PUBLIC = "Silakan bawa KTP ke kantor BPJS"
NAMES = {
    "PKH": {"id": "Program Keluarga Harapan", "en": "Family Hope Program"},
    "PBI-JK": {"id": "Penerima Bantuan Iuran JKN", "en": "Subsidised health insurance"},
    "SEMBAKO": {"id": "Bantuan Pangan Non Tunai", "en": "Food assistance"},
}
NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def news(code: str, kind: str = "created", **extra: Any) -> News:
    return News(
        referral_id=extra.pop("referral_id", uuid.uuid4()),
        program_code=code,
        program_name=NAMES.get(code, {}),
        kind=kind,
        changed_at=NOW,
        **extra,
    )


def message(*items: News, kind: str = "status", language: str = "id") -> messages.Message:
    return render(f"{kind}_news", language, digest_context(VILLAGE, items))


def test_there_is_a_template_of_every_kind_in_both_languages() -> None:
    expected = {f"{kind}_{name}.txt" for kind, names in KINDS.items() for name in names}
    for language in LANGUAGES:
        found = {p.name for p in (TEMPLATES / language).glob("*.txt")}
        assert found == expected, language


def test_a_visit_is_one_message_naming_each_program_its_reference_and_answer_date() -> None:
    visit = [news(code, due_at=NOW + timedelta(days=3)) for code in ("PKH", "PBI-JK", "SEMBAKO")]
    mail = message(*visit)
    assert mail.subject == "Rujukan Anda dari Puskesos: 3 program"
    for item in visit:
        reference = referral_reference(item.referral_id, VILLAGE)
        assert f"{item.program_name['id']}, nomor rujukan {reference}." in mail.body
    assert mail.body.count("Petugas program akan menanggapi paling lambat 7 Desember 2026.") == 3
    assert not UUID_TEXT.search(mail.subject + mail.body)
    assert "PBI-JK" not in mail.body and "SEMBAKO" not in mail.body  # names, not codes
    english = message(*visit, language="en")
    assert english.subject == "Your referrals from the Puskesos: 3 program(s)"
    assert "Family Hope Program" in english.body and "by 7 December 2026" in english.body


def test_a_rejection_reads_in_words_without_codes_or_the_private_note() -> None:
    rejected = news("PBI-JK", "rejected", reason_code="not_eligible")
    mail = message(rejected)
    reference = referral_reference(rejected.referral_id, VILLAGE)
    assert mail.subject == f"Rujukan {reference}: tidak dapat dilayani"
    assert "Alasan: Anda belum memenuhi syarat program ini." in mail.body
    assert "Petugas Puskesos desa Anda akan menghubungi Anda" in mail.body
    for code in ("not_eligible", "rejected", "PBI-JK", str(rejected.referral_id)):
        assert code not in mail.subject + mail.body
    assert PRIVATE not in mail.body  # the news never carries the internal note


def test_the_agency_public_note_reaches_the_resident() -> None:
    mail = message(news("PKH", "accepted", public_note=PUBLIC))
    assert f'Pesan dari petugas program: "{PUBLIC}"' in mail.body
    assert "Petugas program akan menghubungi Anda" in mail.body
    assert "Pesan dari petugas" not in message(news("PKH", "accepted")).body


def test_a_rejection_re_routed_in_the_same_window_says_where_the_household_went() -> None:
    rejected = news("PKH", "rejected", reason_code="lack_of_capacity")
    onward = news("SEMBAKO", rerouted_from=rejected.referral_id, due_at=NOW + timedelta(days=2))
    mail = message(rejected, onward)
    new_ref = referral_reference(onward.referral_id, VILLAGE)
    old_ref = referral_reference(rejected.referral_id, VILLAGE)
    assert "Alasan: kuota program sedang penuh." in mail.body
    assert (
        f"Anda kami rujuk ke program lain: Bantuan Pangan Non Tunai (nomor rujukan {new_ref})."
        in mail.body
    )
    assert f"menggantikan rujukan {old_ref} yang tidak dapat dilayani" in mail.body
    assert "Puskesos desa Anda akan menghubungi" not in mail.body


@pytest.mark.parametrize(
    ("reason", "next_step"),
    [
        ("client_refused_services", "Bila Anda masih membutuhkan bantuan"),
        ("services_no_longer_needed", "Bila Anda masih membutuhkan bantuan"),
        ("unable_to_contact_client", "Silakan hubungi Puskesos desa Anda"),
        ("lack_of_capacity", "Petugas Puskesos desa Anda akan menghubungi Anda"),
    ],
)
def test_a_rejection_tells_what_happens_next(reason: str, next_step: str) -> None:
    for kind in ("status", "sms"):
        assert next_step in message(news("PKH", "rejected", reason_code=reason), kind=kind).body


def test_completed_and_late_referrals_read_in_words() -> None:
    done = message(news("PKH", "completed"))
    assert "selesai dilayani" in done.body and "Terima kasih" in done.body
    late = message(news("PKH", "escalated"))
    assert "melewati batas waktu" in late.body and "diteruskan kepada atasan" in late.body


def test_a_message_planned_before_resident_news_renders_as_news_without_its_note() -> None:
    legacy = {**SAMPLE, "status": "rejected", "reason_code": "not_eligible", "note": PRIVATE}
    legacy["program_name"] = NAMES["PBI-JK"]
    for template in ("status_rejected", "sms_rejected"):
        old = render(template, "id", legacy)
        assert "tidak dapat dilayani" in old.body and "belum memenuhi syarat" in old.body
        assert PRIVATE not in old.body and not UUID_TEXT.search(old.body)
    assert previewable("status", "accepted") and previewable("sms", "news")
    assert not previewable("inbox", "accepted") and not previewable("status", "approved")


GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_sms_of_a_visit_fits_three_gsm7_parts(language: str) -> None:
    visit = [news(code, due_at=NOW + timedelta(days=3)) for code in NAMES]
    sms = message(*visit, kind="sms", language=language)
    assert sms.subject == "" and "\n" not in sms.body
    assert len(sms.body) <= 3 * 153, sms.body
    assert set(sms.body) <= GSM7, set(sms.body) - GSM7
    assert all(referral_reference(n.referral_id, VILLAGE) in sms.body for n in visit)


def test_an_unknown_language_falls_back_to_indonesian() -> None:
    visit = digest_context(VILLAGE, [news("PKH", "completed")])
    assert render("status_news", "jv", visit) == render("status_news", "id", visit)


def test_an_unknown_program_is_named_by_its_code() -> None:
    assert "DTKS-IN, nomor rujukan" in message(news("DTKS-IN")).body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", INBOX_EVENTS)
def test_operator_inbox_messages_name_the_village_and_reference(event: str, language: str) -> None:
    ctx = {**SAMPLE, "status": "expired", "note": "catatan-khusus"}
    inbox = render(f"inbox_{event}", language, ctx)
    assert VILLAGE in inbox.subject and "PBI-JK" in inbox.subject
    reference = referral_reference(uuid.UUID(SAMPLE["referral_id"]), VILLAGE)
    assert reference in inbox.body and "catatan-khusus" in inbox.body  # staff read the note
    assert not UUID_TEXT.search(inbox.body) and "lack_of_capacity" not in inbox.body
    assert inbox != render(f"inbox_{event}", "en" if language == "id" else "id", ctx)


def test_a_task_to_tell_a_resident_in_person_says_why_and_what_to_say() -> None:
    item = news("PKH", due_at=NOW + timedelta(days=3))
    ctx = {**digest_context(VILLAGE, [item]), "unreachable_detail": "SMS belum tersedia."}
    task = render("inbox_in_person", "id", ctx)
    reference = referral_reference(item.referral_id, VILLAGE)
    assert task.subject == f"Sampaikan langsung kepada warga: {reference}"
    assert "tidak dapat diberi kabar lewat pesan: SMS belum tersedia." in task.body
    assert message(item).body.strip() in task.body  # what to say, word for word


@pytest.mark.parametrize("missing", ["village_code", "news"])
def test_rendering_with_a_missing_variable_raises(missing: str) -> None:
    context = {k: v for k, v in digest_context(VILLAGE, [news("PKH")]).items() if k != missing}
    with pytest.raises((UndefinedError, KeyError), match=r"village_code|changes"):
        render("status_news", "id", context)


def _copy_templates(target: Path) -> None:
    for language in LANGUAGES:
        (target / language).mkdir(parents=True)
        for source in (TEMPLATES / language).glob("*.txt"):
            (target / language / source.name).write_text(source.read_text("utf-8"), "utf-8")


def test_a_template_naming_a_missing_variable_fails_when_rendered(tmp_path: Path) -> None:
    _copy_templates(tmp_path)
    (tmp_path / "en" / "inbox_expired.txt").write_text(
        "Subject: {{ program_code }} overdue\n\nDear {{ officer_name }}, it is late.\n", "utf-8"
    )
    env = Environment(loader=FileSystemLoader(tmp_path), undefined=StrictUndefined)
    assert messages._render(env, "status", "news", "en", SAMPLE).body
    with pytest.raises(UndefinedError, match="officer_name"):
        messages._render(env, "inbox", "expired", "en", SAMPLE)
    assert template_name("sms", "news", "en") == "en/sms_news.txt"


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


@pytest.mark.parametrize(
    ("template", "text", "missing"),
    [
        ("id/status_news.txt", "Subject: Kabar\n\n{{ alasan_pembatalan }}\n", "alasan_pembatalan"),
        ("en/inbox_escalated.txt", "Subject: {{ village_code }}\n\n{{ boss }}\n", "boss"),
        ("id/sms_news.txt", "Rujukan diterima di {{ kantor }}\n", "kantor"),
        ("en/inbox_in_person.txt", "Subject: x\n\n{{ visit_day }}\n", "visit_day"),
    ],
)
def test_a_broken_template_stops_loading_at_start_up(
    broken_templates: Path, template: str, text: str, missing: str
) -> None:
    load_templates()  # the intact copy loads
    messages._environment.cache_clear()
    (broken_templates / template).write_text(text, "utf-8")
    with pytest.raises(UndefinedError, match=missing):
        load_templates()


def test_the_real_templates_load() -> None:
    messages._environment.cache_clear()
    load_templates()
    assert message(news("PKH", "accepted")).subject.endswith(": disetujui")


def test_the_agency_webhook_payload_is_json_without_personal_data() -> None:
    event_id = uuid.uuid4()
    ctx = {**SAMPLE, "program_code": "PKH", "status": "created"}
    ctx |= {"referral_id": "ref-0042", "changed_at": "2026-11-24T01:00:00Z"}
    body = webhook_payload(ctx, event_id=event_id)
    assert json.loads(body) == {
        "event_id": str(event_id),
        "type": "referral.created",
        "referral_id": "ref-0042",
        "program_code": "PKH",
        "village_code": VILLAGE,
        "status": "created",
        "changed_at": "2026-11-24T01:00:00Z",
    }


def test_every_status_and_reason_has_words_in_both_languages() -> None:
    from rujukan_notifications.domain import wording

    for language in LANGUAGES:
        assert set(wording.STATUS_WORDS[language]) >= set(ReferralStatus)
        assert set(wording.REASON_WORDS[language]) == set(ReasonCode)
        assert set(wording.NEXT_WORDS[language]) == set(wording.NEXT_WORDS["id"])
    for status in ReferralStatus:
        assert wording.status_words(status, "id") != wording.status_words(status, "en")
    for reason in ReasonCode:
        indonesian = wording.reason_words(reason, "id")
        assert indonesian and "_" not in indonesian
        assert indonesian != wording.reason_words(reason, "en")
    assert wording.date_words(datetime(2026, 12, 31, 18, 0, tzinfo=UTC), "id") == "1 Januari 2027"
