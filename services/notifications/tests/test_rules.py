"""Who hears what, consent to channels, masking, the circuit breaker, quiet hours, settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from rujukan_contracts.events import ContactPoint, IntakeSubmittedV1, ReferralStatus
from rujukan_notifications.domain.audience import (
    consented_channels,
    mask_recipient,
    normalize_phone,
    plan,
)
from rujukan_notifications.domain.policies import CircuitBreaker, QuietHours
from rujukan_notifications.settings import NotificationSettings, TwilioSettings
from rujukan_platform.logging import mask

from .conftest import contact_of, status_changed

MakeIntake = Callable[..., IntakeSubmittedV1]
WIB = ZoneInfo("Asia/Jakarta")
EMAIL_SMS = ("email", "sms")


def who(intake: IntakeSubmittedV1, to: ReferralStatus, **extra: Any) -> set[tuple[str, ...]]:
    event = status_changed(intake, to, **extra)
    planned = plan(event, resident_channels=EMAIL_SMS, agency_programs={"PBI-JK"})
    return {(p.audience, p.channel, p.template, p.address or "") for p in planned}


def test_who_hears_what(make_intake: MakeIntake) -> None:
    intake = make_intake(village_code="33.04.01.2001")
    puskesos, supervisor = "puskesos:33.04.01.2001", "supervisor:33.04"

    def resident(status: str) -> set[tuple[str, ...]]:
        return {
            ("resident", "email", f"status_{status}", ""),
            ("resident", "sms", f"sms_{status}", ""),
        }

    assert who(intake, ReferralStatus.created, frm=None) == {
        ("agency", "webhook", "webhook_referral_created", "PBI-JK")
    }
    assert who(intake, ReferralStatus.created, frm=None, program_code="PKH") == set()
    assert who(intake, ReferralStatus.delivered) == resident("delivered")
    assert who(intake, ReferralStatus.received) == set()
    assert who(intake, ReferralStatus.accepted) == resident("accepted")
    assert who(intake, ReferralStatus.in_service) == set()
    assert who(intake, ReferralStatus.completed) == resident("completed")
    assert who(intake, ReferralStatus.withdrawn) == set()
    assert who(intake, ReferralStatus.rejected) == resident("rejected") | {
        ("operator", "inbox", "inbox_rejected", puskesos)
    }
    assert who(intake, ReferralStatus.expired) == {
        ("operator", "inbox", "inbox_expired", puskesos),
        ("supervisor", "inbox", "inbox_escalated", supervisor),
    }
    assert who(intake, ReferralStatus.received, note="Escalated: no answer after 3 calls") == {
        ("operator", "inbox", "inbox_escalated", puskesos),
        ("supervisor", "inbox", "inbox_escalated", supervisor),
    }
    assert who(intake, ReferralStatus.received, note="not escalated yet") == set()


def test_residents_hear_only_through_channels_offered(make_intake: MakeIntake) -> None:
    event = status_changed(make_intake(), ReferralStatus.accepted)
    planned = plan(event, resident_channels=["email"], agency_programs=())
    assert [(p.channel, p.template) for p in planned] == [("email", "status_accepted")]


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
