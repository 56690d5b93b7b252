"""A resident withdraws consent to be told: the contact is forgotten, what was waiting is
cancelled (the delivery row says why), nothing more is gathered for them until an intake brings
a consented contact again."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import (
    ConsentWithdrawnV1,
    IntakeContactV1,
    NotificationDispatchedV1,
    ReferralStatus,
)
from rujukan_notifications.adapters.repository import NewsRepository, Newsworthy, Visit
from rujukan_notifications.adapters.silence import SilencedHouseholds
from rujukan_notifications.service_layer.digests import sum_up_due
from rujukan_platform.db import driver_connection

from .conftest import Clock, MakeIntake, MakeStatus, apply, contact_of
from .test_claims import drive

pytestmark = pytest.mark.integration

S = ReferralStatus


def withdrawn_notification(household: uuid.UUID) -> ConsentWithdrawnV1:
    """The event intake sends when a Puskesos officer records 'notification' withdrawn."""
    return ConsentWithdrawnV1(
        withdrawal_id=uuid.uuid4(),
        household_id=household,
        purposes=["notification"],
        withdrawn_at=datetime.now(UTC),
        recorded_by="operator:33.04",
    )


async def test_consent_withdrawn_cancels_what_waits_and_silences_the_household(
    notifications: Any, make_intake: MakeIntake, make_status: MakeStatus, dead_port: int
) -> None:
    intake = make_intake(contact={"email": "keluarga@example.org"})
    household = intake.household_id
    created = make_status(intake, S.created, frm=None, program_code="PKH")
    await apply(notifications.runtime, contact_of(intake), created)
    # the visit's message is planned; its mail server is away, so it waits for a retry
    dispatcher = notifications.dispatcher(
        smtp_port=dead_port, clock=Clock(datetime.now(UTC) + timedelta(minutes=1))
    )
    assert await drive(dispatcher) >= 1
    [waiting] = await notifications.rows("SELECT id, state FROM deliveries")
    assert waiting.state == "pending"
    # news gathered for the next message, within the visit's window
    rejected = make_status(intake, S.rejected, reason_code="not_eligible", program_code="PKH")
    await apply(notifications.runtime, rejected, gather=timedelta(hours=1))
    assert len(await notifications.rows("SELECT 1 FROM resident_news WHERE digest_id IS NULL"))

    topic, contacts = await notifications.run_consumer("notifications-contacts")
    await notifications.publish(topic, withdrawn_notification(household))
    await contacts.drain()

    assert (
        await notifications.rows("SELECT 1 FROM contacts WHERE household_id = :h", h=household)
        == []
    )
    [cancelled] = await notifications.rows(
        "SELECT state, last_error FROM deliveries WHERE id = :d", d=waiting.id
    )
    assert cancelled.state == "skipped"
    assert cancelled.last_error.startswith("consent_withdrawn: Warga menarik persetujuan")
    attempts = await notifications.rows(
        "SELECT outcome, detail FROM delivery_attempts WHERE delivery_id = :d ORDER BY id",
        d=waiting.id,
    )
    assert attempts[-1].outcome == "skipped" and "consent_withdrawn" in attempts[-1].detail
    [told] = await notifications.rows(
        "SELECT payload FROM outbox WHERE type = :t AND payload->>'notification_id' = :d",
        t=NotificationDispatchedV1.ce_type,
        d=str(waiting.id),
    )
    assert (told.payload["result"], told.payload["detail"]) == ("skipped", cancelled.last_error)
    assert await notifications.rows("SELECT 1 FROM resident_news WHERE digest_id IS NULL") == []
    await drive(dispatcher)  # staff still hear of the rejection; the resident hears nothing
    resident = await notifications.rows(
        "SELECT state FROM deliveries WHERE audience = 'resident' AND state <> 'skipped'"
    )
    assert resident == []

    # the router's withdrawal of the referral is not news for a resident who asked for none
    withdrawn = make_status(intake, S.withdrawn, program_code="SEMBAKO", frm=S.delivered)
    await apply(notifications.runtime, withdrawn, gather=timedelta(0))
    assert await notifications.rows("SELECT 1 FROM resident_news WHERE digest_id IS NULL") == []

    # a later intake that asks again and is told yes: the household hears news again
    again = IntakeContactV1(
        intake_id=uuid.uuid4(),
        household_id=household,
        submitted_at=datetime.now(UTC) + timedelta(seconds=1),
        contact=None,
        consented=True,
    )
    await apply(notifications.runtime, again, make_status(intake, S.accepted, frm=S.received))
    assert await notifications.rows("SELECT 1 FROM silenced_households") == []
    assert len(await notifications.rows("SELECT 1 FROM resident_news WHERE digest_id IS NULL"))


async def test_an_older_withdrawal_arriving_late_leaves_the_latest_kept(
    notifications: Any, make_intake: MakeIntake
) -> None:
    household = make_intake().household_id
    latest = withdrawn_notification(household)
    older = withdrawn_notification(household).model_copy(
        update={"withdrawn_at": latest.withdrawn_at - timedelta(days=1)}
    )
    await apply(notifications.runtime, latest)
    await apply(notifications.runtime, older)
    [kept] = await notifications.rows(
        "SELECT withdrawal_id, withdrawn_at FROM silenced_households WHERE household_id = :h",
        h=household,
    )
    assert (kept.withdrawal_id, kept.withdrawn_at) == (latest.withdrawal_id, latest.withdrawn_at)


async def test_a_delivery_left_sending_by_a_dead_dispatcher_is_not_sent_after_a_withdrawal(
    notifications: Any, make_intake: MakeIntake, make_status: MakeStatus, smtp: Any
) -> None:
    """The withdrawal cancels what is pending; a delivery a dispatcher had claimed (and died
    with, mid-send) is taken over later, and is skipped for the same reason, not sent."""
    intake = make_intake(contact={"email": "keluarga@example.org"})
    created = make_status(intake, S.created, frm=None, program_code="PKH")
    await apply(notifications.runtime, contact_of(intake), created)
    later = Clock(datetime.now(UTC) + timedelta(minutes=1))
    dispatcher = notifications.dispatcher(smtp_port=smtp.port, clock=later)
    async with notifications.runtime.unit_of_work() as uow:  # the visit's message, unsent
        await sum_up_due(uow, now=later.now, offered=["email"], limit=10)
    [claimed] = await notifications.rows(
        "SELECT id FROM deliveries WHERE audience = 'resident' AND channel = 'email'"
    )
    await notifications.execute(  # the dispatcher that claimed it died mid-send
        "UPDATE deliveries SET state = 'sending', claimed_by = 'dead', "
        "lease_until = now() - interval '1 second' WHERE id = :d",
        d=claimed.id,
    )

    await apply(notifications.runtime, withdrawn_notification(intake.household_id))
    await drive(dispatcher)

    [row] = await notifications.rows(
        "SELECT state, last_error FROM deliveries WHERE id = :d", d=claimed.id
    )
    assert row.state == "skipped" and row.last_error.startswith("consent_withdrawn:"), row
    assert smtp.messages == []


async def test_contact_events_handled_together_leave_each_household_its_last(
    notifications: Any, make_intake: MakeIntake
) -> None:
    """A consumer batch's contact events are written at once (the batch form), yet a household
    ends as one by one would leave it: with what its last event said."""
    household = uuid.uuid4()
    told = make_intake(household_id=str(household), contact={"email": "ibu@example.org"})
    not_told = make_intake(household_id=str(household), consent={"purposes": ["referral"]})
    other = make_intake(contact={"email": "bapak@example.org"})

    async def kept() -> list[Any]:
        return await notifications.rows(
            "SELECT channels FROM contacts WHERE household_id = :h", h=household
        )

    await apply(notifications.runtime, contact_of(told), contact_of(other), contact_of(not_told))
    assert await kept() == []
    await apply(notifications.runtime, contact_of(not_told), contact_of(told))
    assert [row.channels for row in await kept()] == [["email"]]
    assert len(await notifications.rows("SELECT 1 FROM contacts")) == 2


async def test_a_visit_without_consent_cancels_at_once_what_waited_for_a_contact(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    """The referral's news came before the visit's contact event, so its delivery waits for a
    contact. The event says the resident did not agree to be told: the delivery ends at once,
    saying so, instead of waiting out its backoff (40-80 s) for a contact that is not coming."""
    intake = make_intake(consent={"purposes": ["referral"]})  # no 'notification'
    await apply(notifications.runtime, make_status(intake, S.accepted))
    dispatcher = notifications.dispatcher(smtp_port=smtp.port)
    assert await dispatcher.dispatch_due() == 1  # no contact yet: it waits
    [waiting] = await notifications.rows("SELECT id, state, waits FROM deliveries")
    assert (waiting.state, waiting.waits) == ("pending", 1)

    declined = contact_of(intake)
    assert (declined.consented, declined.contact) == (False, None)
    await apply(notifications.runtime, declined)

    [row] = await notifications.rows("SELECT state, last_error FROM deliveries")
    assert row.state == "skipped"
    assert row.last_error.startswith("not_consented: Warga tidak setuju diberi kabar")
    [told] = await notifications.rows(
        "SELECT payload FROM outbox WHERE type = :t", t=NotificationDispatchedV1.ce_type
    )
    assert (told.payload["result"], told.payload["detail"]) == ("skipped", row.last_error)
    [silenced] = await notifications.rows("SELECT withdrawal_id FROM silenced_households")
    assert silenced.withdrawal_id == intake.intake_id
    assert await dispatcher.dispatch_due() == 0 and smtp.messages == []

    # the next visit's resident agrees: their news is gathered and sent again
    again = make_intake(contact={"email": "warga@example.org"}).model_copy(
        update={"household_id": intake.household_id, "submitted_at": datetime.now(UTC)}
    )
    await apply(notifications.runtime, contact_of(again), make_status(again, S.accepted))
    assert await notifications.rows("SELECT 1 FROM silenced_households") == []
    assert await dispatcher.dispatch_due() == 1
    assert [to for to, _mail in smtp.messages] == [["warga@example.org"]]


async def test_silencing_a_household_finds_its_visits_by_index(notifications: Any) -> None:
    """Silencing drops the news gathered for a household's visits: among many residents' visits
    (a national deployment keeps millions) every statement it runs finds them by the household's
    index, never by reading every visit (revision 0010)."""
    async with notifications.runtime.sessions() as session:
        household = await session.scalar(
            text(
                "INSERT INTO resident_visits (intake_id, household_id, village_code)"
                " SELECT gen_random_uuid(), gen_random_uuid(), '33.04.01.2001'"
                " FROM generate_series(1, 20000) RETURNING household_id"
            )
        )
        await session.execute(text("ANALYZE resident_visits"))
        plans = await plans_naming(
            session,
            "resident_visits",
            lambda: SilencedHouseholds(session).cancel_waiting([household], "test"),
        )
    assert len(plans) == 2  # the news' visits, and the visits themselves
    for plan in plans:
        assert "Seq Scan on resident_visits" not in plan, plan
        assert "ix_resident_visits_household_id" in plan, plan


async def test_gathering_news_looks_silenced_households_up_by_index(notifications: Any) -> None:
    """Each status batch's news is kept only for households not silenced, checked in the same
    statements (``_told``). Half the households of a deployment may be silenced (no consent at
    their visit): among 50,000 of them the check finds a batch's households by the primary key,
    never by reading them all."""
    now = datetime.now(UTC)
    batch = [
        Newsworthy(
            uuid.uuid4(),
            Visit(uuid.uuid4(), uuid.uuid4(), "33.04.01.2001", 0),
            uuid.uuid4(),
            "{}",
            now,
        )
        for _ in range(20)
    ]
    async with notifications.runtime.sessions() as session:
        await session.execute(
            text(
                "INSERT INTO silenced_households (household_id, withdrawal_id, withdrawn_at)"
                " SELECT gen_random_uuid(), gen_random_uuid(), now()"
                " FROM generate_series(1, 50000)"
            )
        )
        await session.execute(text("ANALYZE silenced_households"))
        plans = await plans_naming(
            session,
            "silenced_households",
            lambda: NewsRepository(session).gather_all(batch, window=timedelta(seconds=60)),
        )
    assert len(plans) == 2  # the visits' upsert, and the news
    for plan in plans:
        assert "Seq Scan on silenced_households" not in plan, plan


async def plans_naming(
    session: AsyncSession, table: str, work: Callable[[], Awaitable[object]]
) -> list[str]:
    """What PostgreSQL plans, in ``session``'s transaction, for each statement ``work`` sends
    that names ``table``: EXPLAIN of the statement as it was sent, with its parameters."""
    sent: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    engine = session.bind.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        await work()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    conn = await driver_connection(session)
    return [
        "\n".join(row[0] for row in await conn.fetch(f"EXPLAIN {statement}", *parameters))
        for statement, parameters in sent
        if table in statement
    ]
