"""Alertmanager's webhook puts alerts in the operators' inbox: one message per occurrence, updated
when it resolves, idempotent under repeats; administrators only; strictly validated."""

from __future__ import annotations

import copy
from typing import Any

import pytest

pytestmark = pytest.mark.integration

URL = "/v1/alerts/alertmanager"
FIRING_AT = "2026-12-03T10:15:30.123456789Z"
NOT_ENDED = "0001-01-01T00:00:00Z"


def alert(name: str, fingerprint: str, **labels: str) -> dict[str, Any]:
    """One alert as Alertmanager 0.25+ posts it (from deploy/prometheus/rules)."""
    return {
        "status": "firing",
        "labels": {
            "alertname": name,
            "job": "rujukan",
            "severity": "critical",
            **labels,
        },
        "annotations": {
            "summary": f"{labels.get('service', 'notifications')} is not answering /metrics",
            "description": "Prometheus has failed to scrape it for 2 minutes.",
            "runbook": f"Check the process. See deploy/prometheus/RUNBOOK.md#{name.lower()}",
        },
        "startsAt": FIRING_AT,
        "endsAt": NOT_ENDED,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up%7Bjob%3D%22rujukan%22%7D+%3D%3D+0",
        "fingerprint": fingerprint,
    }


def webhook(*alerts: dict[str, Any]) -> dict[str, Any]:
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "receiver": "rujukan-inbox",
        "status": "firing" if firing else "resolved",
        "alerts": list(alerts),
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": {"job": "rujukan", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": '{}:{alertname="RujukanServiceDown"}',
        "truncatedAlerts": 0,
    }


def resolved(firing: dict[str, Any], at: str = "2026-12-03T10:25:00Z") -> dict[str, Any]:
    return {**copy.deepcopy(firing), "status": "resolved", "endsAt": at}


async def ops_inbox(api: Any) -> list[dict[str, Any]]:
    r = await api.client.get("/v1/inbox", params={"recipient": "ops"}, headers=api.token("admin"))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_alerts_reach_the_operators_inbox_once_and_resolve_in_place(
    notifications_api: Any,
) -> None:
    api = notifications_api
    admin = api.token("admin")
    down = alert("RujukanServiceDown", "3f1c2a9b8d7e6f50", service="notifications")
    stuck = alert("RujukanOutboxStuck", "a0b1c2d3e4f50617", service="router")

    r = await api.client.post(URL, json=webhook(down, stuck), headers=admin)
    assert r.status_code == 200, r.text
    filed = r.json()
    assert filed["inbox"] == "ops"
    assert [(a["fingerprint"], a["status"], a["result"]) for a in filed["alerts"]] == [
        ("3f1c2a9b8d7e6f50", "firing", "created"),
        ("a0b1c2d3e4f50617", "firing", "created"),
    ]
    ids = {a["fingerprint"]: a["message_id"] for a in filed["alerts"]}
    items = await ops_inbox(api)
    assert sorted(i["subject"] for i in items) == [
        "Peringatan operasi: RujukanOutboxStuck",
        "Peringatan operasi: RujukanServiceDown",
    ]
    [message] = [i for i in items if i["id"] == ids["3f1c2a9b8d7e6f50"]]
    body = message["body"]
    assert "Ringkasan: notifications is not answering /metrics" in body
    assert "Runbook: Check the process. See deploy/prometheus/RUNBOOK.md#rujukanservicedown" in body
    assert "Tingkat: critical" in body and "Mulai: 2026-12-03 10:15:30 UTC" in body
    assert "Label: job=rujukan, service=notifications" in body and "Berakhir" not in body

    # Alertmanager repeats the notification (repeat_interval; both instances of an HA pair)
    for _ in range(2):
        r = await api.client.post(URL, json=webhook(down, stuck), headers=admin)
        assert [a["result"] for a in r.json()["alerts"]] == ["unchanged", "unchanged"]
    assert len(await ops_inbox(api)) == 2

    # the alert resolves: the same message says so
    r = await api.client.post(URL, json=webhook(resolved(down)), headers=admin)
    [update] = r.json()["alerts"]
    assert update == {
        "message_id": ids["3f1c2a9b8d7e6f50"],
        "fingerprint": "3f1c2a9b8d7e6f50",
        "status": "resolved",
        "result": "updated",
    }
    items = await ops_inbox(api)
    [message] = [i for i in items if i["id"] == ids["3f1c2a9b8d7e6f50"]]
    assert message["subject"] == "Pulih: RujukanServiceDown"
    assert "Berakhir: 2026-12-03 10:25:00 UTC" in message["body"]

    # a late copy of the firing notification does not reopen it
    r = await api.client.post(URL, json=webhook(down), headers=admin)
    assert r.json()["alerts"][0]["result"] == "unchanged"
    [message] = [i for i in await ops_inbox(api) if i["id"] == ids["3f1c2a9b8d7e6f50"]]
    assert message["subject"] == "Pulih: RujukanServiceDown"

    # firing again later is a new occurrence: a new message
    again = {**down, "startsAt": "2026-12-03T11:00:00Z"}
    r = await api.client.post(URL, json=webhook(again), headers=admin)
    assert r.json()["alerts"][0]["result"] == "created"
    subjects = [i["subject"] for i in await ops_inbox(api)]
    assert subjects[0] == "Peringatan operasi: RujukanServiceDown" and len(subjects) == 3


async def test_only_administrators_post_alerts_and_read_the_operators_inbox(
    notifications_api: Any,
) -> None:
    api = notifications_api
    payload = webhook(alert("RujukanServiceDown", "3f1c2a9b8d7e6f50"))
    assert (await api.client.post(URL, json=payload)).status_code == 401
    operator = api.token("operator", regions=["33.04"])
    for role in (operator, api.token("agency", programs=["PKH"]), api.token("service")):
        r = await api.client.post(URL, json=payload, headers=role)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = await api.client.get("/v1/inbox", params={"recipient": "ops"}, headers=operator)
    assert r.status_code == 403
    assert await ops_inbox(api) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p.update(version="3"), "version"),
        (lambda p: p.update(alerts=[]), "alerts"),
        (lambda p: p["alerts"][0].update(status="pending"), "alerts[0].status"),
        (lambda p: p["alerts"][0].update(fingerprint="not-hex"), "alerts[0].fingerprint"),
        (lambda p: p["alerts"][0].update(startsAt="yesterday"), "alerts[0].startsAt"),
        (lambda p: p["alerts"][0].update(startsAt="2026-12-03T10:15:30"), "alerts[0].startsAt"),
        (lambda p: p["alerts"][0]["labels"].pop("alertname"), "alerts[0].labels"),
        (lambda p: p["alerts"][0]["labels"].update(service="a\u0000b"), "alerts[0].labels.service"),
        (lambda p: p["alerts"][0]["labels"].update(job=7), "alerts[0].labels.job"),
        (
            lambda p: p["alerts"][0]["annotations"].update(summary="x\u001b[31m"),
            "alerts[0].annotations.summary",
        ),
        (lambda p: p["alerts"][0].pop("fingerprint"), "alerts[0].fingerprint"),
    ],
)
async def test_a_malformed_alertmanager_payload_is_refused_naming_the_field(
    notifications_api: Any, change: Any, field: str
) -> None:
    api = notifications_api
    payload = webhook(alert("RujukanServiceDown", "3f1c2a9b8d7e6f50"))
    change(payload)
    r = await api.client.post(URL, json=payload, headers=api.token("admin"))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()["errors"]
    assert await ops_inbox(api) == []


async def test_a_multi_line_description_is_kept(notifications_api: Any) -> None:
    api = notifications_api
    down = alert("RujukanServiceDown", "3f1c2a9b8d7e6f50")
    down["annotations"]["description"] = "Line one.\n\tLine two."
    r = await api.client.post(URL, json=webhook(down), headers=api.token("admin"))
    assert r.status_code == 200, r.text
    [message] = await ops_inbox(api)
    assert "Rincian: Line one.\n\tLine two." in message["body"]
