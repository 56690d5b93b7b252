"""What a resident hears, end to end inside the service (real Kafka consumers, PostgreSQL and a
real SMTP server): one message per visit, then only the changes that matter, in Bahasa
Indonesia, with the short reference and the agency's public note only; nobody left silently
untold; and no message planned twice, whatever dies when."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from rujukan_contracts.events import (
    IntakeContactV1,
    IntakeSubmittedV1,
    ReasonCode,
    ReferralStatus,
    ReferralStatusChangedV1,
)
from rujukan_contracts.references import referral_reference
from rujukan_notifications.adapters.repository import Newsworthy, Visit
from rujukan_notifications.service_layer.digests import digest_id, sum_up_due
from rujukan_platform.testing import RunningConsumer

from .conftest import Clock, MakeIntake, MakeStatus, apply, contact_of
from .test_claims import drive, email_to, killed_after_sending, message_id

pytestmark = pytest.mark.integration

PROGRAMS = ("PKH", "PBI-JK", "SEMBAKO", "PIP")
PRIVATE = "Keluarga menunggak iuran BPJS Rp 1.200.000 sejak 2025"
PUBLIC = "Silakan datang ke kantor BPJS Banjarnegara dengan KTP dan KK"


def visit(intake: IntakeSubmittedV1, make_status: MakeStatus) -> list[ReferralStatusChangedV1]:
    """The router's status events for one routed intake: a referral per program, created."""
    due = datetime.now(UTC) + timedelta(days=3)
    return [
        make_status(intake, ReferralStatus.created, frm=None, program_code=p, due_at=due)
        for p in PROGRAMS
    ]


def later(clock_minutes: float = 1) -> Clock:
    return Clock(datetime.now(UTC) + timedelta(minutes=clock_minutes))


async def consumers_knowing(
    notifications: Any, intake: IntakeSubmittedV1
) -> tuple[str, RunningConsumer]:
    """The service's consumers on topics of their own, the intake's contact already kept;
    returns the status topic and its consumer."""
    intakes, contacts_consumer = await notifications.run_consumer("notifications-contacts")
    statuses, status_consumer = await notifications.run_consumer("notifications-status")
    await notifications.publish(intakes, contact_of(intake))
    await contacts_consumer.drain()
    return statuses, status_consumer


async def test_one_visit_with_four_referrals_is_one_message_and_delivered_or_received_none(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intake = make_intake(contact={"email": "keluarga@example.org"})
    statuses, status_consumer = await consumers_knowing(notifications, intake)
    created = visit(intake, make_status)
    for event in created:
        await notifications.publish(statuses, event)
    for event in created:  # the relay's 'delivered', then the agencies' 'received'
        for to, frm in (
            (ReferralStatus.delivered, ReferralStatus.created),
            (ReferralStatus.received, ReferralStatus.delivered),
        ):
            await notifications.publish(
                statuses, make_status(intake, to, frm=frm, referral_id=event.referral_id)
            )
    await status_consumer.drain()

    dispatcher = notifications.dispatcher(smtp_port=smtp.port, clock=later())
    assert await drive(dispatcher) == 1
    [(to, mail)] = smtp.messages
    assert to == ["keluarga@example.org"]
    assert mail["Subject"] == "Rujukan Anda dari Puskesos: 4 program"
    body = mail.get_content()
    for event in created:
        assert referral_reference(event.referral_id, intake.village_code) in body
        assert str(event.referral_id) not in body
    assert body.count("Petugas program akan menanggapi paling lambat") == 4
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.source_event_id == digest_id(intake.intake_id, 1) and row.state == "sent"
    news = await notifications.rows("SELECT news FROM resident_news")
    assert len(news) == 4  # delivered and received are not news for the resident
    assert await drive(dispatcher) == 0 and len(smtp.messages) == 1


async def test_news_waits_for_the_visits_window_then_goes_out_together(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intake = make_intake(contact={"email": "keluarga@example.org"})
    window = timedelta(seconds=60)
    first, *rest = visit(intake, make_status)
    await apply(notifications.runtime, contact_of(intake), first, gather=window)
    now = Clock(datetime.now(UTC))
    dispatcher = notifications.dispatcher(smtp_port=smtp.port, clock=now)
    assert await drive(dispatcher) == 0  # the window is open: the rest of the visit may follow
    now.advance(seconds=30)
    await apply(notifications.runtime, *rest, gather=window)  # they join the open window
    assert await drive(dispatcher) == 0
    now.advance(seconds=35)
    assert await drive(dispatcher) == 1
    assert smtp.messages[0][1]["Subject"] == "Rujukan Anda dari Puskesos: 4 program"


async def test_a_rejection_reads_in_indonesian_without_codes_or_the_private_note(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intake = make_intake(contact={"email": "keluarga@example.org"})
    statuses, status_consumer = await consumers_knowing(notifications, intake)
    rejected = make_status(
        intake,
        ReferralStatus.rejected,
        frm=ReferralStatus.received,
        reason_code=ReasonCode.not_eligible,
        note=PRIVATE,
    )
    await notifications.publish(statuses, rejected)
    await status_consumer.drain()
    dispatcher = notifications.dispatcher(smtp_port=smtp.port, clock=later())
    assert await drive(dispatcher) == 2  # the resident's e-mail, the Puskesos inbox
    [(_to, mail)] = smtp.messages
    reference = referral_reference(rejected.referral_id, intake.village_code)
    assert mail["Subject"] == f"Rujukan {reference}: tidak dapat dilayani"
    body = mail.get_content()
    assert "Alasan: Anda belum memenuhi syarat program ini." in body
    assert "Petugas Puskesos desa Anda akan menghubungi Anda" in body
    for hidden in ("not_eligible", "rejected", PRIVATE, str(rejected.referral_id)):
        assert hidden not in mail["Subject"] + body
    [task] = await notifications.rows("SELECT body FROM inbox_messages")
    assert PRIVATE in task.body  # staff read the agency's note; the resident does not

    # marked public, the agency's words reach the resident, the private note still does not
    public = make_status(
        intake,
        ReferralStatus.rejected,
        frm=ReferralStatus.received,
        reason_code=ReasonCode.lack_of_capacity,
        note=PRIVATE,
        public_note=PUBLIC,
    )
    await notifications.publish(statuses, public)
    await status_consumer.drain()
    assert await drive(dispatcher) == 2
    body = smtp.messages[1][1].get_content()
    assert f'Pesan dari petugas program: "{PUBLIC}"' in body and PRIVATE not in body
    assert "kuota program sedang penuh" in body and "lack_of_capacity" not in body


async def test_a_rejection_re_routed_in_the_same_window_is_one_message_naming_the_new_program(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intake = make_intake(contact={"email": "keluarga@example.org"})
    rejected = make_status(
        intake, ReferralStatus.rejected, reason_code=ReasonCode.lack_of_capacity, note=PRIVATE
    )
    onward = make_status(  # as the router's re-route writes it
        intake,
        ReferralStatus.created,
        frm=None,
        program_code="SEMBAKO",
        note=f"re-routed from {rejected.referral_id}",
        due_at=datetime.now(UTC) + timedelta(days=2),
    )
    await apply(notifications.runtime, contact_of(intake), onward, rejected)
    assert await drive(notifications.dispatcher(smtp_port=smtp.port, clock=later())) == 2
    [(_to, mail)] = smtp.messages
    body = mail.get_content()
    new = referral_reference(onward.referral_id, intake.village_code)
    old = referral_reference(rejected.referral_id, intake.village_code)
    assert f"Anda kami rujuk ke program lain: SEMBAKO (nomor rujukan {new})." in body
    assert f"Rujukan ini menggantikan rujukan {old} yang tidak dapat dilayani." in body
    assert "akan menghubungi Anda" not in body and PRIVATE not in body


def told_in_person(reason: str) -> float:
    sample = REGISTRY.get_sample_value(
        "rujukan_notifications_told_in_person_total", {"reason": reason}
    )
    return sample or 0.0


async def rows(runtime: Any, sql: str, **params: Any) -> list[Any]:
    async with runtime.sessions() as session:
        return list((await session.execute(text(sql), params)).all())


async def test_the_72_year_old_with_only_a_phone_is_told_in_person_by_the_puskesos(
    notifications_api: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    """No SMS gateway is configured: her visit's news becomes a task in the village Puskesos
    inbox, with the references and what to say, and the delivery row says why."""
    api = notifications_api
    mbah = make_intake(contact={"email": None, "phone": "0812-2345-6789"})
    created = visit(mbah, make_status)
    await apply(api.runtime, contact_of(mbah), *created)
    before = told_in_person("no_channel_configured")
    assert await drive(api.runtime.deps.dispatcher) == 1  # the service's own: no SMS gateway
    assert told_in_person("no_channel_configured") == before + 1

    [row] = await rows(api.runtime, "SELECT * FROM deliveries")
    assert (row.audience, row.channel, row.state) == ("resident", "inbox", "sent")
    assert row.recipient_masked == f"puskesos:{mbah.village_code}"
    assert row.unreachable_reason == "no_channel_configured"
    assert row.unreachable_detail == (
        "Warga hanya dapat dihubungi lewat SMS, yang belum tersedia di sistem ini."
    )
    references = [referral_reference(e.referral_id, mbah.village_code) for e in created]
    operator = api.token("operator", regions=[mbah.village_code])
    r = await api.client.get(
        "/v1/inbox", params={"recipient": f"puskesos:{mbah.village_code}"}, headers=operator
    )
    [task] = r.json()["items"]
    assert task["subject"] == "Sampaikan langsung kepada warga: " + ", ".join(references)
    assert (
        "tidak dapat diberi kabar lewat pesan: Warga hanya dapat dihubungi lewat SMS"
        in (task["body"])
    )
    assert "Kebutuhan Anda telah kami rujuk ke program berikut:" in task["body"]  # what to say
    assert all(ref in task["body"] for ref in references)
    assert "0812" not in task["body"] and "6789" not in task["body"]  # no contact in the inbox

    r = await api.client.get(
        "/v1/notifications",
        params={"referral_id": str(created[2].referral_id)},
        headers=api.token("admin"),
    )
    [listed] = r.json()["items"]
    assert listed["unreachable_reason"] == "no_channel_configured"
    assert listed["unreachable_detail"] == row.unreachable_detail


async def test_a_resident_who_agreed_to_be_told_without_a_contact_is_told_in_person(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intakes, contacts_consumer = await notifications.run_consumer("notifications-contacts")
    intake = make_intake(contact=None)
    agreed = IntakeContactV1(
        intake_id=intake.intake_id,
        household_id=intake.household_id,
        submitted_at=intake.submitted_at,
        contact=None,
        consented=True,
    )
    await notifications.publish(intakes, agreed)
    await contacts_consumer.drain()
    [kept] = await notifications.rows("SELECT * FROM contacts")
    assert kept.channels == [] and kept.email is None and kept.phone is None

    await apply(notifications.runtime, make_status(intake, ReferralStatus.accepted))
    assert await drive(notifications.dispatcher(smtp_port=smtp.port, clock=later())) == 1
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert (row.channel, row.state, row.unreachable_reason) == ("inbox", "sent", "no_contact")
    assert "tidak memberikan alamat e-mail atau nomor telepon" in row.unreachable_detail
    [task] = await notifications.rows("SELECT * FROM inbox_messages")
    assert task.recipient == f"puskesos:{intake.village_code}" and "disetujui" in task.body
    assert smtp.messages == []


async def test_a_summing_up_that_dies_before_its_commit_leaves_the_news_for_the_next_round(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intake = make_intake(contact={"email": "keluarga@example.org"})
    await apply(notifications.runtime, contact_of(intake), *visit(intake, make_status))

    class Died(Exception):
        pass

    with contextlib.suppress(Died):
        async with notifications.runtime.unit_of_work() as uow:
            uow.commit = _dies(Died)  # the process dies between planning and committing
            await sum_up_due(uow, now=later().now, offered=["email"], limit=10)
    assert await notifications.rows("SELECT * FROM deliveries") == []
    [waiting] = await notifications.rows("SELECT * FROM resident_visits")
    assert waiting.summarise_at is not None and waiting.messages == 0

    assert await drive(notifications.dispatcher(smtp_port=smtp.port, clock=later())) == 1
    assert len(smtp.messages) == 1
    [visit_row] = await notifications.rows("SELECT * FROM resident_visits")
    assert visit_row.summarise_at is None and visit_row.messages == 1


def _dies(error: type[Exception]) -> Any:
    async def commit() -> None:
        raise error

    return commit


async def test_a_dispatcher_that_died_mid_send_of_a_visit_message_sends_it_once_more_as_the_same(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    """After a restart the message is taken over, not planned again: one delivery, sent with
    the same Message-ID (the idempotency handle of test_claims)."""
    intake = make_intake(contact={"email": "keluarga@example.org"})
    await apply(notifications.runtime, contact_of(intake), *visit(intake, make_status))
    now = later()
    await killed_after_sending(notifications, "email", email_to(smtp), now)
    now.advance(seconds=61)  # the lease is over: a restarted dispatcher takes it over
    again = notifications.dispatcher(smtp_port=smtp.port, clock=now)
    assert await drive(again) == 1
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.state == "sent" and row.source_event_id == digest_id(intake.intake_id, 1)
    assert [m["Message-ID"] for _to, m in smtp.messages] == [message_id(row.id)] * 2
    assert await drive(again) == 0


async def test_two_dispatchers_sum_up_each_of_40_visits_once(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intakes = [make_intake(contact={"email": f"warga-{i}@example.org"}) for i in range(40)]
    for intake in intakes:
        await apply(notifications.runtime, contact_of(intake), *visit(intake, make_status))
    now = later()
    a, b = (notifications.dispatcher(smtp_port=smtp.port, clock=now, batch=5) for _ in "ab")
    claimed = await asyncio.gather(drive(a), drive(b))
    assert sum(claimed) == 40, claimed
    rows = await notifications.rows("SELECT household_id, state FROM deliveries")
    assert len(rows) == 40 and {r.state for r in rows} == {"sent"}
    assert len({r.household_id for r in rows}) == 40
    assert len(smtp.messages) == 40
    unsent = await notifications.rows("SELECT 1 FROM resident_news WHERE digest_id IS NULL")
    assert unsent == []


async def test_news_redelivered_after_its_message_plans_no_second_message(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    """Kept news is keyed by its event: the same event gathered again (a consumer restarted
    past its processed_events) changes nothing."""
    intake = make_intake(contact={"email": "keluarga@example.org"})
    accepted = make_status(intake, ReferralStatus.accepted)
    await apply(notifications.runtime, contact_of(intake), accepted)
    dispatcher = notifications.dispatcher(smtp_port=smtp.port, clock=later())
    assert await drive(dispatcher) == 1
    [news] = await notifications.rows("SELECT * FROM resident_news")
    async with notifications.runtime.unit_of_work() as uow:
        assert await uow.news.claim_due(later(60).now, 10) == []  # summed up: nothing waits
        visit = Visit(intake.intake_id, intake.household_id, intake.village_code, 0)
        changed_at = accepted.changed_at
        again = Newsworthy(news.event_id, visit, accepted.referral_id, news.news, changed_at)
        await uow.news.gather_all([again], window=timedelta(0))
        await uow.commit()
    assert await drive(dispatcher) == 0
    assert len(await notifications.rows("SELECT * FROM deliveries")) == 1
    assert len(smtp.messages) == 1
