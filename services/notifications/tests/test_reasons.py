"""Every reason a delivery records reads the same way (pure): a machine reason, then Bahasa
Indonesia; a provider's own words last, in parentheses, as it said them."""

from __future__ import annotations

import re

import pytest

from rujukan_notifications.domain import reasons

SHAPE = re.compile(r"[a-z_]+: [A-Z].*?\.( \(.+\))?")
ENGLISH = re.compile(r"\b(the|no|not|until|within|provider|resident|sent|again)\b")

EVERY_REASON = [
    reasons.SENDER_DIED,
    reasons.NO_CONTACT_YET,
    reasons.NO_CONTACT,
    reasons.NO_SEND_SLOT,
    reasons.taken_over("dispatcher-7f3a"),
    reasons.taken_over(None),
    reasons.no_provider("sms"),
    reasons.no_address("agency"),
    reasons.channel_not_consented("whatsapp"),
    reasons.contact_unreadable("sealed under key 'old', which is not configured", final=False),
    reasons.contact_unreadable("does not open here", final=True),
    reasons.quiet_hours("07:00"),
    reasons.rate_limit(2, 3600.0),
    reasons.circuit_open("smtp"),
    reasons.provider_failed("smtp", reasons.no_answer(2.0), final=False),
    reasons.provider_failed("webhook", "HTTP 410: gone", final=True),
    reasons.CANCELLED,
    reasons.NOT_CONSENTED,
]


@pytest.mark.parametrize("reason", EVERY_REASON)
def test_a_reason_is_a_machine_reason_then_bahasa_indonesia(reason: str) -> None:
    assert SHAPE.fullmatch(reason), reason
    said_by_us = reason.rsplit(". (", 1)[0]  # the provider's words are not ours to translate
    assert not ENGLISH.search(said_by_us.split(": ", 1)[1]), reason


def test_a_provider_failure_says_whether_another_try_follows() -> None:
    again = reasons.provider_failed("smtp", "SMTPServerDisconnected: lost", final=False)
    final = reasons.provider_failed("smtp", "SMTPRecipientsRefused: 550", final=True)
    assert "dicoba lagi nanti" in again and "pesan tidak dikirim" not in again
    assert "pesan tidak dikirim" in final and "dicoba lagi" not in final
    assert final.endswith("(SMTPRecipientsRefused: 550)")  # the provider's words, untouched


def test_an_audience_and_a_channel_are_named_as_an_officer_names_them() -> None:
    assert "lembaga program" in reasons.no_address("agency")
    assert "warga" in reasons.no_address("resident")
    assert "lewat WhatsApp;" in reasons.channel_not_consented("whatsapp")
    assert "penyedia kotak masuk" in reasons.no_provider("inbox")
    # a channel this release has no word for is named as it is, never a reason to fail
    assert "penyedia telegram yang" in reasons.no_provider("telegram")
