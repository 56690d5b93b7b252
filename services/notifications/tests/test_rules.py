"""Who hears what, consent to channels, masking, the circuit breaker, quiet hours, settings."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from rujukan_contracts.events import ContactPoint, IntakeSubmittedV1, ReferralStatus
from rujukan_notifications.domain.audience import (
    Unreachable,
    consented_channels,
    mask_recipient,
    normalize_phone,
    plan,
    resident_plan,
)
from rujukan_notifications.domain.news import DEFAULT_RESIDENT_NEWS, news_kind
from rujukan_notifications.domain.policies import CircuitBreaker, QuietHours
from rujukan_notifications.settings import NotificationSettings, TwilioSettings
from rujukan_platform.logging import mask

from .conftest import MakeIntake, contact_of, status_changed

WIB = ZoneInfo("Asia/Jakarta")


def who(intake: IntakeSubmittedV1, to: ReferralStatus, **extra: Any) -> set[tuple[str, ...]]:
    event = status_changed(intake, to, **extra)
    planned = plan(event, agency_programs={"PBI-JK"})
    return {(p.audience, p.channel, p.template, p.address or "") for p in planned}


def test_who_among_staff_and_agencies_hears_what_at_once(make_intake: MakeIntake) -> None:
    intake = make_intake(village_code="33.04.01.2001")
    puskesos, dinsos = "puskesos:33.04.01.2001", "dinsos:33.04"

    assert who(intake, ReferralStatus.created, frm=None) == {
        ("agency", "webhook", "webhook_referral_created", "PBI-JK")
    }
    assert who(intake, ReferralStatus.created, frm=None, program_code="PKH") == set()
    for quiet in ("delivered", "received", "accepted", "in_service", "completed", "withdrawn"):
        assert who(intake, ReferralStatus(quiet)) == set()
    assert who(intake, ReferralStatus.rejected) == {
        ("operator", "inbox", "inbox_rejected", puskesos)
    }
    # late: the level the router names (here none: the regency's Dinas Sosial) and the agency,
    # by the webhook it takes new referrals on
    assert who(intake, ReferralStatus.expired) == {
        ("operator", "inbox", "inbox_expired", puskesos),
        ("escalation", "inbox", "inbox_overdue", dinsos),
        ("agency", "webhook", "webhook_referral_overdue", "PBI-JK"),
    }
    late = {"frm": ReferralStatus.received, "escalated": True, "escalated_to": "program_manager"}
    assert who(intake, ReferralStatus.received, **late) == {
        ("operator", "inbox", "inbox_escalated", puskesos),
        ("escalation", "inbox", "inbox_overdue", dinsos),
        ("agency", "webhook", "webhook_referral_overdue", "PBI-JK"),
    }
    # a note is no marker
    assert who(intake, ReferralStatus.received, note="Escalated: no answer after 3 calls") == set()


def test_residents_hear_of_new_referrals_and_the_changes_that_matter(
    make_intake: MakeIntake,
) -> None:
    intake = make_intake()

    def kind(to: ReferralStatus, told: Any = DEFAULT_RESIDENT_NEWS, **extra: Any) -> str | None:
        return news_kind(status_changed(intake, to, **extra), told)

    assert kind(ReferralStatus.created, frm=None) == "created"
    assert kind(ReferralStatus.created, told=(), frm=None) == "created"  # a visit is always news
    for quiet in ("delivered", "received", "in_service", "withdrawn"):
        assert kind(ReferralStatus(quiet)) is None
    for news in ("accepted", "rejected", "completed", "expired", "answered"):
        assert kind(ReferralStatus(news)) == news
    late = {"frm": ReferralStatus.received, "escalated_to": "supervisor"}
    assert kind(ReferralStatus.received, **late) == "escalated"
    assert kind(ReferralStatus.received, told=("accepted",), **late) is None
    assert kind(ReferralStatus.accepted, told=("completed",)) is None
    assert kind(ReferralStatus.withdrawn, told=("withdrawn",)) == "withdrawn"


def test_residents_hear_through_channels_offered_or_are_told_in_person() -> None:
    village = "33.04.01.2001"

    def channels(consented: Any, offered: Any) -> list[tuple[str, str, str | None]]:
        return [
            (p.channel, p.template, p.address) for p in resident_plan(consented, offered, village)
        ]

    assert channels(["email", "sms"], ["email"]) == [("email", "status_news", None)]
    assert channels(["email", "sms"], ["email", "sms"]) == [
        ("email", "status_news", None),
        ("sms", "sms_news", None),
    ]
    # a contact not yet known: every offered channel, checked when sent
    assert channels(None, ["email", "whatsapp"]) == [
        ("email", "status_news", None),
        ("whatsapp", "sms_news", None),
    ]
    # only a phone, and no SMS gateway: the village Puskesos tells them in person, and why
    [told] = resident_plan(["sms"], ["email"], village)
    assert (told.audience, told.channel, told.template, told.address) == (
        "resident",
        "inbox",
        "inbox_in_person",
        "puskesos:33.04.01.2001",
    )
    assert told.unreachable == Unreachable(
        "no_channel_configured",
        "Warga hanya dapat dihubungi lewat SMS, yang belum tersedia di sistem ini.",
    )
    [told] = resident_plan([], ["email", "sms"], village)
    assert told.unreachable is not None and told.unreachable.reason == "no_contact"
    assert "tidak memberikan alamat e-mail atau nomor telepon" in told.unreachable.detail
    [told] = resident_plan(None, [], village)
    assert told.unreachable is not None and told.unreachable.reason == "no_channel_configured"


def test_consent_decides_the_channels(make_intake: MakeIntake) -> None:
    def given(**contact: Any) -> ContactPoint | None:
        return contact_of(make_intake(contact=contact)).contact

    both = given(email="warga@example.org", phone="0812-3456-7890")
    assert consented_channels(both, ["sms"]) == ["email", "sms"]
    assert consented_channels(both, ["sms", "whatsapp"]) == ["email", "sms", "whatsapp"]
    assert consented_channels(both, ["whatsapp"]) == ["email", "whatsapp"]
    phone_only = given(email=None, phone="+6281234567890")
    assert consented_channels(phone_only, ["sms"]) == ["sms"]
    with pytest.raises(ValidationError):  # the contract refuses an unusable number upstream
        given(email=None, phone="call the village head")
    assert consented_channels(None, ["sms", "whatsapp"]) == []  # none, or not consented


def test_phone_numbers_are_normalized_to_e164() -> None:
    assert normalize_phone("0812-3456-7890") == "+6281234567890"
    assert normalize_phone("62 812 3456 7890") == "+6281234567890"
    assert normalize_phone("+6281234567890") == "+6281234567890"
    assert normalize_phone("(0812) 345.678") == "+62812345678"
    assert normalize_phone("12") is None and normalize_phone("") is None
    assert normalize_phone(None) is None and normalize_phone("+62abc4567890") is None


def test_recipients_are_masked_for_storage_and_logs() -> None:
    assert mask_recipient("email", "warga.desa@example.org") == "w***@example.org"
    masked = mask_recipient("sms", "+6281234567890")
    assert masked == "+62********890" and "81234567" not in masked
    assert mask_recipient("whatsapp", "+6281234567890") == masked
    assert mask(masked) == masked  # the log redaction leaves a masked number alone
    assert mask("sending to +6281234567890") == "sending to [redacted-phone]"
    assert mask_recipient("inbox", "puskesos:33.04.01.2001") == "puskesos:33.04.01.2001"
    assert mask_recipient("webhook", "PBI-JK") == "PBI-JK"


def test_the_circuit_breaker_opens_cools_down_and_half_opens() -> None:
    t0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    breaker = CircuitBreaker(threshold=3, cooldown=timedelta(seconds=60))
    assert breaker.allows(t0)
    breaker.failed(t0)
    breaker.failed(t0)
    breaker.succeeded()  # a success resets the count
    for _ in range(2):
        breaker.failed(t0)
    assert breaker.state == "closed" and breaker.allows(t0)
    breaker.failed(t0)
    assert breaker.state == "open" and breaker.retry_at == t0 + timedelta(seconds=60)
    assert not breaker.allows(t0 + timedelta(seconds=59))
    later = t0 + timedelta(seconds=60)
    assert breaker.allows(later) and breaker.state == "half_open"
    assert not breaker.allows(later)  # one trial at a time
    breaker.failed(later)  # the trial failed: open again, a new cool-down
    assert breaker.state == "open" and breaker.retry_at == later + timedelta(seconds=60)
    assert not breaker.allows(later + timedelta(seconds=30))
    assert breaker.allows(later + timedelta(seconds=60))
    breaker.succeeded()
    assert breaker.state == "closed" and breaker.allows(later + timedelta(seconds=61))


@pytest.mark.parametrize(
    ("local", "until"),
    [
        ("2026-11-24 20:59", None),
        ("2026-11-24 21:00", "2026-11-25 07:00"),
        ("2026-11-24 23:30", "2026-11-25 07:00"),
        ("2026-11-25 00:10", "2026-11-25 07:00"),
        ("2026-11-25 06:59", "2026-11-25 07:00"),
        ("2026-11-25 07:00", None),
        ("2026-11-25 12:00", None),
    ],
)
def test_quiet_hours_wrap_midnight_in_jakarta(local: str, until: str | None) -> None:
    quiet = QuietHours(time(21), time(7), WIB)
    now = datetime.fromisoformat(local).replace(tzinfo=WIB).astimezone(UTC)
    expected = datetime.fromisoformat(until).replace(tzinfo=WIB) if until else None
    assert quiet.until(now) == expected


def test_quiet_hours_within_a_day_and_switched_off() -> None:
    at = datetime(2026, 11, 24, 13, 0, tzinfo=WIB)
    assert QuietHours(time(12), time(14), WIB).until(at) == datetime(2026, 11, 24, 14, tzinfo=WIB)
    assert QuietHours(time(14), time(16), WIB).until(at) is None
    assert QuietHours(time(7), time(7), WIB).until(at) is None


def test_settings_read_providers_and_webhooks_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "RUJUKAN_NOTIFICATIONS_AGENCY_WEBHOOKS",
        '{"PBI-JK": {"url": "https://bpjs.example/hook", "secret": "s3cret"}}',
    )
    monkeypatch.setenv(
        "RUJUKAN_NOTIFICATIONS_SMS",
        '{"kind": "twilio", "account_sid": "AC1", "auth_token": "t", "from_number": "+1500"}',
    )
    monkeypatch.setenv(
        "RUJUKAN_NOTIFICATIONS_WHATSAPP",
        '{"kind": "generic", "url": "https://wa.example/send", "encoding": "form"}',
    )
    monkeypatch.setenv("RUJUKAN_NOTIFICATIONS_PHONE_CHANNELS", "sms,whatsapp")
    monkeypatch.setenv("RUJUKAN_NOTIFICATIONS_QUIET_HOURS_START", "22:30")
    settings = NotificationSettings()
    assert settings.agency_webhooks["PBI-JK"].url == "https://bpjs.example/hook"
    assert settings.agency_webhooks["PBI-JK"].secret.get_secret_value() == "s3cret"
    assert isinstance(settings.sms, TwilioSettings) and settings.sms.account_sid == "AC1"
    assert settings.whatsapp is not None and settings.whatsapp.kind == "generic"
    assert settings.phone_channels == ["sms", "whatsapp"]
    assert settings.quiet_hours_start == time(22, 30) and settings.quiet_hours_end == time(7)
    assert "s3cret" not in repr(settings)


def test_settings_name_what_residents_are_told_of(monkeypatch: pytest.MonkeyPatch) -> None:
    assert NotificationSettings().resident_news == list(DEFAULT_RESIDENT_NEWS)
    monkeypatch.setenv("RUJUKAN_NOTIFICATIONS_RESIDENT_NEWS", "accepted, rejected,withdrawn")
    assert NotificationSettings().resident_news == ["accepted", "rejected", "withdrawn"]
    monkeypatch.setenv("RUJUKAN_NOTIFICATIONS_RESIDENT_NEWS", "accepted,approved")
    with pytest.raises(ValidationError, match="not a kind of news"):
        NotificationSettings()
