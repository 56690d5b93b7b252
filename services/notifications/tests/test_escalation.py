"""A late referral is told to whoever must act now (the level of the agency's chain the router
names: an inbox, a named webhook or a work e-mail), to the agency itself, and to the village
Puskesos as before; through the real consumer, dispatcher, SMTP server and webhook peer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rujukan_contracts.events import (
    EscalationAudience,
    IntakeSubmittedV1,
    ReferralStatus,
    ReferralStatusChangedV1,
)
from rujukan_contracts.references import referral_reference
from rujukan_notifications.adapters.http import HttpClient
from rujukan_notifications.adapters.webhooks import WebhookChannel, verify_signature
from rujukan_notifications.domain.audience import Routing
from rujukan_notifications.settings import WebhookEndpoint

from .conftest import HttpPeer, MakeIntake, MakeStatus, apply

pytestmark = pytest.mark.integration

VILLAGE = "33.04.01.2001"
PUSKESOS = f"puskesos:{VILLAGE}"
KORWIL = "korwil.pkh@kemensos.example"
#: PKH's chain as the router resolves it for a referral in Banjarnegara
PKH_CHAIN = [
    EscalationAudience(
        role="agency_supervisor",
        channel="inbox",
        address="agency:PKH:33.04:korkab",
        office="Koordinator Kabupaten PKH",
    ),
    EscalationAudience(
        role="program_manager", channel="email", address=KORWIL, office="Koordinator Wilayah PKH"
    ),
    EscalationAudience(
        role="head_of_office",
        channel="inbox",
        address="dinsos:33.04",
        office="Kepala Dinas Sosial kabupaten/kota",
    ),
]
PKH_AGENCY = EscalationAudience(
    role="agency_officer", channel="inbox", address="agency:PKH:33.04", office="Pendamping PKH"
)


def late_events(
    make_status: MakeStatus,
    intake: IntakeSubmittedV1,
    program_code: str,
    chain: list[EscalationAudience],
    agency: EscalationAudience,
) -> list[ReferralStatusChangedV1]:
    """One referral's three escalations and its expiry, as the router's timers raise them."""
    at = datetime.now(UTC)
    common = {"program_code": program_code, "referral_id": uuid.uuid4(), "agency_audience": agency}
    events = [
        make_status(
            intake,
            ReferralStatus.received,
            frm=ReferralStatus.received,
            escalated=True,
            escalation_level=level,
            escalated_to=audience.role,
            audience=audience,
            due_at=at + timedelta(days=2 * level),
            note=f"escalated to {audience.role}: deadline missed",
            **common,
        )
        for level, audience in enumerate(chain, start=1)
    ]
    expired = make_status(
        intake,
        ReferralStatus.expired,
        frm=ReferralStatus.received,
        escalation_level=3,
        audience=chain[-1],
        note="expired: no answer in time",
        **common,
    )
    return [*events, expired]


async def planned(notifications: Any, event: ReferralStatusChangedV1) -> set[tuple[str, ...]]:
    rows = await notifications.rows(
        "SELECT audience, channel, address, template FROM deliveries"
        " WHERE referral_id = :r AND context LIKE :level AND context LIKE :status",
        r=event.referral_id,
        level=f'%"level":{event.escalation_level},%',
        status=f'%"status":"{event.to_status.value}"%',
    )
    return {tuple(r) for r in rows}


async def test_each_level_the_agency_and_the_puskesos_hear_of_a_late_referral(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intake = make_intake(village_code=VILLAGE)
    level1, level2, level3, expired = late_events(make_status, intake, "PKH", PKH_CHAIN, PKH_AGENCY)
    routing = Routing(agency_programs=frozenset({"PBI-JK"}))  # PKH has no webhook here
    topic, consumer = await notifications.run_consumer("notifications-status", routing)
    for event in (level1, level2, level3, expired):
        await notifications.publish(topic, event)
    await consumer.drain()

    puskesos = ("operator", "inbox", PUSKESOS, "inbox_escalated")
    agency = ("agency", "inbox", "agency:PKH:33.04", "inbox_overdue_agency")
    assert await planned(notifications, level1) == {
        puskesos,
        ("escalation", "inbox", "agency:PKH:33.04:korkab", "inbox_overdue"),
        agency,
    }
    assert await planned(notifications, level2) == {
        puskesos,
        ("escalation", "email", KORWIL, "inbox_overdue"),
        agency,
    }
    assert await planned(notifications, level3) == {
        puskesos,
        ("escalation", "inbox", "dinsos:33.04", "inbox_overdue"),
        agency,
    }
    assert await planned(notifications, expired) == {
        ("operator", "inbox", PUSKESOS, "inbox_expired"),
        ("escalation", "inbox", "dinsos:33.04", "inbox_overdue"),
        agency,
    }

    dispatcher = notifications.dispatcher(smtp_port=smtp.port)
    while await dispatcher.dispatch_due():
        pass
    rows = await notifications.rows(
        "SELECT state, count(*) FROM deliveries WHERE audience <> 'resident' GROUP BY state"
    )
    assert dict(rows) == {"sent": 12}  # the resident hears with the visit's news, as before

    reference = referral_reference(level1.referral_id, VILLAGE)
    [(recipients, mail)] = smtp.messages  # the program manager, at their work address
    assert recipients == [KORWIL]
    assert mail["Subject"] == f"Mohon tindak lanjut: rujukan PKH terlambat — desa Berta ({VILLAGE})"
    body = mail.get_content()
    assert reference in body and "pengelola program (Koordinator Wilayah PKH)" in body
    assert "tingkat 2 dari 3" in body and str(level1.referral_id) not in body

    def inbox(recipient: str) -> Any:
        return notifications.rows(
            "SELECT subject, body FROM inbox_messages WHERE recipient = :r ORDER BY created_at",
            r=recipient,
        )

    korkab = await inbox("agency:PKH:33.04:korkab")
    assert [m.subject for m in korkab] == [
        f"Mohon tindak lanjut: rujukan PKH terlambat — desa Berta ({VILLAGE})"
    ]
    assert "atasan petugas agensi (Koordinator Kabupaten PKH), tingkat 1 dari 3" in korkab[0].body
    dinsos = await inbox("dinsos:33.04")
    assert sorted(m.subject for m in dinsos) == [
        f"Mohon tindak lanjut: rujukan PKH terlambat — desa Berta ({VILLAGE})",
        f"Rujukan PKH kedaluwarsa — desa Berta ({VILLAGE})",
    ]
    assert any("bila tidak, rujukan kedaluwarsa" in m.body for m in dinsos)  # the last level
    own = await inbox("agency:PKH:33.04")
    overdue = f"Rujukan PKH Anda melewati tenggat — desa Berta ({VILLAGE})"
    assert [m.subject for m in own] == [overdue] * 4
    assert any("dieskalasi kepada Kepala Dinas Sosial" in m.body for m in own)
    assert any("kedaluwarsa karena tidak dijawab" in m.body for m in own)
    assert len(await inbox(PUSKESOS)) == 4  # as before: three escalations and the expiry


async def test_an_agency_with_a_webhook_hears_of_its_late_referral_through_it(
    notifications: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    received: list[dict[str, Any]] = []

    def agency(request: Any) -> Any:
        from starlette.responses import JSONResponse

        verify_signature(
            "bpjs-secret",
            timestamp=request.headers["x-rujukan-timestamp"],
            signature=request.headers["x-rujukan-signature"],
            body=request.body,
        )
        received.append(request.json())
        return JSONResponse({"ok": True})

    http_peer.handler = agency
    endpoints = {"PBI-JK": WebhookEndpoint(url=http_peer.url + "/hook", secret="bpjs-secret")}
    intake = make_intake(village_code=VILLAGE)
    # the agency's supervisor is a webhook this deployment does not configure: its inbox instead
    chain = [
        EscalationAudience(role="agency_supervisor", channel="webhook", address="bpjs-kacab"),
        *PKH_CHAIN[1:],
    ]
    own = EscalationAudience(role="agency_officer", channel="webhook", address="PBI-JK")
    level1, *_ = late_events(make_status, intake, "PBI-JK", chain, own)
    routing = Routing(agency_programs=frozenset(endpoints))
    await apply(notifications.runtime, level1, routing=routing, resident_news=())  # staff only
    assert await planned(notifications, level1) == {
        ("operator", "inbox", PUSKESOS, "inbox_escalated"),
        ("escalation", "inbox", "dinsos:33.04", "inbox_overdue"),
        ("agency", "webhook", "PBI-JK", "webhook_referral_overdue"),
    }

    dispatcher = notifications.dispatcher(
        channels={"webhook": WebhookChannel(endpoints, http_client)}
    )
    assert await dispatcher.dispatch_due() == 3
    [hook] = [
        r for r in await notifications.rows("SELECT * FROM deliveries") if r.address == "PBI-JK"
    ]
    assert hook.state == "sent"
    assert level1.due_at is not None
    assert received == [
        {
            "event_id": str(hook.id),
            "type": "referral.escalated",
            "escalation": {
                "level": 1,
                "role": "agency_supervisor",
                "due_at": level1.due_at.isoformat(),
                "reference": referral_reference(level1.referral_id, VILLAGE),
            },
            "referral_id": str(level1.referral_id),
            "program_code": "PBI-JK",
            "village_code": VILLAGE,
            "status": "received",
            "changed_at": level1.changed_at.isoformat(),
        }
    ]


async def test_each_audience_reads_only_its_own_inbox(
    notifications_api: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    api = notifications_api
    intake = make_intake(village_code=VILLAGE)
    events = late_events(make_status, intake, "PKH", PKH_CHAIN, PKH_AGENCY)
    # an escalation from before the router named audiences: the regency's Dinas Sosial hears
    legacy = make_status(
        intake, ReferralStatus.received, frm=ReferralStatus.received, escalated_to="supervisor"
    )
    await apply(api.runtime, *events[:1], legacy, resident_news=())
    await api.runtime.deps.dispatcher.dispatch_due()

    def read(recipient: str, **scope: Any) -> Any:
        role = scope.pop("role", "agency")
        headers = api.token(role, **scope)
        return api.client.get("/v1/inbox", params={"recipient": recipient}, headers=headers)

    r = await read("agency:PKH:33.04", programs=["PKH"], regions=["33.04"])
    assert r.status_code == 200, r.text
    assert [i["subject"] for i in r.json()["items"]] == [
        f"Rujukan PKH Anda melewati tenggat — desa Berta ({VILLAGE})"
    ]
    r = await read("agency:PKH:33.04:korkab", programs=["PKH"])
    assert len(r.json()["items"]) == 1
    assert (await read("agency:PKH:33.04", programs=["PBI-JK"])).status_code == 403
    assert (await read("agency:PKH:33.04", programs=["PKH"], regions=["35"])).status_code == 403
    assert (await read(PUSKESOS, programs=["PKH"])).status_code == 403
    operator = {"role": "operator", "regions": ["33.04"]}
    assert (await read("agency:PKH:33.04", **operator)).status_code == 403
    r = await read("dinsos:33.04", **operator)
    assert [(i["subject"], "atasan petugas agensi" in i["body"]) for i in r.json()["items"]] == [
        (f"Mohon tindak lanjut: rujukan PBI-JK terlambat — desa Berta ({VILLAGE})", True)
    ]
    assert (await read("agency:PKH", programs=["PKH"])).status_code == 422
