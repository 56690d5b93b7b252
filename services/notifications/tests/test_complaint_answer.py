"""A complaint case answered: the resident reads the agency's answer, in Bahasa Indonesia, with
the case's short reference (real consumers, PostgreSQL and SMTP server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rujukan_contracts.events import ReferralStatus
from rujukan_contracts.references import referral_reference

from .conftest import Clock, MakeIntake, MakeStatus, contact_of
from .test_claims import drive

pytestmark = pytest.mark.integration

ANSWER = "Bantuan tahap 3 sudah dikirim; silakan ambil di kantor pos mulai 20 September."


async def test_a_complaint_answered_reaches_the_resident_with_the_answer(
    notifications: Any,
    smtp: Any,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    intakes, contacts_consumer = await notifications.run_consumer("notifications-contacts")
    statuses, status_consumer = await notifications.run_consumer("notifications-status")
    intake = make_intake(contact={"email": "keluarga@example.org"})
    await notifications.publish(intakes, contact_of(intake))
    await contacts_consumer.drain()
    answered = make_status(
        intake,
        ReferralStatus.answered,
        frm=ReferralStatus.in_progress,
        program_code="PKH",
        kind="complaint",
        note=ANSWER,
        public_note=ANSWER,
    )
    await notifications.publish(statuses, answered)
    await status_consumer.drain()
    dispatcher = notifications.dispatcher(
        smtp_port=smtp.port, clock=Clock(datetime.now(UTC) + timedelta(minutes=1))
    )
    assert await drive(dispatcher) >= 1
    [(to, mail)] = smtp.messages
    assert to == ["keluarga@example.org"]
    body = mail.get_content()
    assert ANSWER in body and "sudah dijawab" in mail["Subject"] + body
    assert referral_reference(answered.referral_id, intake.village_code) in mail["Subject"] + body
    assert "answered" not in mail["Subject"] + body
