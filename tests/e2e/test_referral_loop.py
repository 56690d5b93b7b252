"""The whole referral loop through the real broker: intake → router → agency → notifications."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import OutcomeKind, ReasonCode, ReferralCreatedV1, ReferralOutcomeV1
from rujukan_contracts.references import referral_reference
from rujukan_contracts.topics import outcomes_topic
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.kafka import make_producer, security_options
from rujukan_platform.testing import Servers, eventually
from rujukan_registry.testing import program_document
from tests.e2e.platform import Platform, running_platform

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture
async def platform(servers: Servers, tmp_path: Path) -> AsyncIterator[Platform]:
    async with running_platform(servers, tmp_path) as p:
        yield p


STARTED_MS = int(time.time() * 1000)  # records older than this test run are not ours


async def read_topic(servers: Servers, topic: str, want: Callable[[Any], bool]) -> Any:
    """The first record of ``topic`` since this run started that ``want`` accepts."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers.kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        **security_options(),
    )
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [TopicPartition(topic, p) for p in cluster.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        await consumer._client.force_metadata_update()
        starts = await consumer.offsets_for_times(dict.fromkeys(tps, STARTED_MS))
        for tp, found in starts.items():
            if found is None:
                await consumer.seek_to_end(tp)
            else:
                consumer.seek(tp, found.offset)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for r in records:
                    if want(r):
                        return r
        raise AssertionError(f"no matching record on {topic}")
    finally:
        await consumer.stop()


def body_of(message: Message) -> str:
    """A plain-text e-mail's body, decoded."""
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


async def test_an_intake_is_referred_answered_and_notified(
    platform: Platform, servers: Servers
) -> None:
    operator = platform.token("operator", regions=["33.04"])
    admin = platform.token("admin")
    async with httpx.AsyncClient(timeout=10) as http:
        # The OpenAPI example is complete and can be posted as it is.
        spec = (await http.get(platform.url("intake") + "/openapi.json")).json()
        example = spec["paths"]["/v1/intakes"]["post"]["requestBody"]["content"][
            "application/json"
        ]["examples"]["household"]["value"]
        assert example == EXAMPLE_INTAKE

        # Bad input: 422 problem+json naming the field and the reason; nothing stored.
        bad = {
            **EXAMPLE_INTAKE,
            "members": [{**EXAMPLE_INTAKE["members"][0], "nik": "3304011203849999"[:15]}],
        }
        r = await http.post(platform.url("intake") + "/v1/intakes", json=bad, headers=operator)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert {"field": "members[0].nik", "reason": "harus 16 angka"} in r.json()["errors"]
        no_consent = {k: v for k, v in EXAMPLE_INTAKE.items() if k != "consent"}
        r = await http.post(
            platform.url("intake") + "/v1/intakes", json=no_consent, headers=operator
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "consent"
        unknown_region = {
            **EXAMPLE_INTAKE,
            "household": {**EXAMPLE_INTAKE["household"], "village_code": "33.04.01.9999"},
        }
        r = await http.post(
            platform.url("intake") + "/v1/intakes",
            json=unknown_region,
            headers=platform.token("admin"),
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "household.village_code"

        # The example household goes in...
        started = time.monotonic()
        r = await http.post(
            platform.url("intake") + "/v1/intakes",
            json=EXAMPLE_INTAKE,
            headers={**operator, "Idempotency-Key": "e2e-1"},
        )
        assert r.status_code == 202, r.text
        intake_id = r.json()["intake_id"]

        # ...and the router refers it to every eligible program, explaining each decision.
        async def referrals() -> list[dict[str, Any]]:
            got = await http.get(
                platform.url("referral-router") + "/v1/referrals",
                params={"intake_id": intake_id},
                headers=admin,
            )
            items: list[dict[str, Any]] = got.json()["items"]
            codes = {i["program_code"] for i in items}
            return items if {"PKH", "PBI-JK"} <= codes else []

        items = await eventually(referrals, timeout=60)
        routed_after = time.monotonic() - started
        print(
            f"\nintake → referrals visible at the router: {routed_after * 1000:.0f} ms; "
            f"programs: {sorted(i['program_code'] for i in items)}"
        )
        assert "DTKS-IN" not in {i["program_code"] for i in items}
        by_code = {i["program_code"]: i for i in items}
        pkh, pbi = by_code["PKH"], by_code["PBI-JK"]
        decision = pkh["decision"]
        assert decision["eligible"] and decision["program_version"] == 2
        decile = next(c for c in decision["criteria"] if "registry.decile" in c["values"])
        assert decile["values"]["registry.decile"] == 2 and decile["passed"]

        # The referral is on the program's topic, readable by any Kafka client.
        record = await read_topic(
            servers, "referrals.PKH", lambda r: r.key.decode() == pkh["referral_id"]
        )
        meta = EventMeta.from_headers(record.headers)
        assert (
            meta.type == "rujukan.referral.created.v1" and meta.source == "/rujukan/referral-router"
        )
        assert dict(record.headers)["content-type"] == b"application/json"
        assert ReferralCreatedV1.model_validate_json(record.value).intake_id == uuid.UUID(intake_id)

        async def status_of(referral_id: str, want: str) -> bool:
            got = await http.get(
                platform.url("referral-router") + f"/v1/referrals/{referral_id}", headers=admin
            )
            return bool(got.json()["status"] == want)

        # Kafka acknowledged the referral: the relay recorded it as delivered.
        await eventually(lambda: status_of(pbi["referral_id"], "delivered"), timeout=60)

        # An agency answers over HTTP (PBI-JK accepted)...
        agency = platform.token("agency", programs=["PBI-JK"])
        r = await http.post(
            platform.url("referral-router") + f"/v1/referrals/{pbi['referral_id']}/outcome",
            json={"outcome": "accepted", "note": "KIS diproses"},
            headers=agency,
        )
        assert r.status_code == 200, r.text
        r = await http.post(
            platform.url("referral-router") + f"/v1/referrals/{pkh['referral_id']}/outcome",
            json={"outcome": "accepted"},
            headers=agency,
        )
        assert r.status_code == 404  # another program's referral is invisible to this agency
        r = await http.post(
            platform.url("referral-router") + f"/v1/referrals/{pbi['referral_id']}/outcome",
            json={"outcome": "received"},
            headers=agency,
        )
        assert r.status_code == 409 and "accepted" in r.json()["detail"]

        # ...another over Kafka (PKH rejected), as an agency with a Kafka client would.
        producer = make_producer(servers.kafka_bootstrap, client_id="agency-pkh")
        await producer.start()
        outcome = ReferralOutcomeV1(
            referral_id=pkh["referral_id"],
            program_code="PKH",
            outcome=OutcomeKind.rejected,
            reason_code=ReasonCode.lack_of_capacity,
            reported_at=datetime.now(UTC),
            reported_by="agency:pkh",
        )
        out_meta = EventMeta(type=outcome.ce_type, source="/agency/pkh", subject=outcome.key())
        await producer.send_and_wait(  # its own topic: the broker says who writes it
            outcomes_topic("PKH"),
            outcome.model_dump_json().encode(),
            key=outcome.key().encode(),
            headers=out_meta.to_headers(),
        )
        await producer.stop()

        await eventually(lambda: status_of(pbi["referral_id"], "accepted"), timeout=60)
        await eventually(lambda: status_of(pkh["referral_id"], "rejected"), timeout=60)
        trace = (
            await http.get(
                platform.url("referral-router") + f"/v1/referrals/{pbi['referral_id']}/trace",
                headers=admin,
            )
        ).json()["events"]
        assert [e["to_status"] for e in trace] == ["created", "delivered", "accepted"]

        # referrals.status carries every change, under the visit's key.
        seen: set[str] = set()

        def status_change(r: Any) -> bool:
            if r.key.decode() == intake_id:
                import orjson

                change = orjson.loads(r.value)
                if change["referral_id"] == pbi["referral_id"]:
                    seen.add(change["to_status"])
            return {"created", "delivered", "accepted"} <= seen

        await read_topic(servers, "referrals.status", status_change)

        # The intake shows its referrals' progress.
        async def intake_view() -> dict[str, Any] | None:
            got = (
                await http.get(
                    platform.url("intake") + f"/v1/intakes/{intake_id}", headers=operator
                )
            ).json()
            statuses = {r["program_code"]: r["status"] for r in got["referrals"]}
            ok = statuses.get("PBI-JK") == "accepted" and statuses.get("PKH") == "rejected"
            return got if ok else None

        await eventually(intake_view, timeout=60)

        # Notifications summed the visit up in one real e-mail, told of the agencies' answers
        # (in the same e-mail when they came within the visit's window), and shows each.
        reference = referral_reference(uuid.UUID(pbi["referral_id"]), "33.04.01.2001")

        async def told_accepted() -> list[str]:
            bodies = [body_of(m) for m in platform.mailbox.messages]
            return bodies if any(reference in b and "disetujui" in b for b in bodies) else []

        bodies = await eventually(told_accepted, timeout=60)

        async def recorded() -> list[dict[str, Any]]:
            """The resident's deliveries, once each is recorded: the relay has the message a
            moment before its result is committed (send, then record)."""
            got = await http.get(
                platform.url("notifications") + "/v1/notifications",
                params={"referral_id": pbi["referral_id"]},
                headers=admin,
            )
            items = [d for d in got.json()["items"] if d["audience"] == "resident"]
            return items if items and all(d["state"] != "sending" for d in items) else []

        sent = await eventually(recorded, timeout=30)
        assert {d["template"] for d in sent} == {"status_news"}
        assert all(d["recipient"] == "k***@example.org" for d in sent)
        mails = platform.mailbox.messages
        visit = [b for b in bodies if "Kebutuhan Anda telah kami rujuk" in b]
        assert len(visit) == 1 and reference in visit[0]  # one message for the whole visit
        assert "akan menanggapi paling lambat" in visit[0]
        assert not any(pbi["referral_id"] in b for b in bodies)  # never a UUID
        assert any(m["To"] == EXAMPLE_INTAKE["contact"]["email"] for m in mails)

        # The Puskesos operator hears of the rejection in the inbox.
        async def inbox() -> list[dict[str, Any]]:
            got = await http.get(
                platform.url("notifications") + "/v1/inbox",
                params={"recipient": "puskesos:33.04.01.2001"},
                headers=operator,
            )
            items: list[dict[str, Any]] = got.json()["items"]
            return [i for i in items if "PKH" in i["subject"] + i["body"]]

        await eventually(inbox, timeout=60)

        # A program created at the registry reaches the router and decides the next intake.
        code = "E2E-" + uuid.uuid4().hex[:6].upper()
        program = program_document(code)
        r = await http.post(
            platform.url("program-registry") + "/v1/programs", json=program, headers=admin
        )
        assert r.status_code == 201, r.text
        listed = (
            await http.get(
                platform.url("program-registry") + "/v1/programs",
                params={"limit": 200},
                headers=operator,
            )
        ).json()["items"]
        assert {"PKH", "SEMBAKO", "PBI-JK", "PIP", "DTKS-IN", code} <= {p["code"] for p in listed}
        await asyncio.sleep(1.0)  # the catalogue travels through Kafka; one second is plenty
        second = {
            **EXAMPLE_INTAKE,
            "household": {**EXAMPLE_INTAKE["household"], "kk_number": "3304010101200003"},
            "needs": ["housing"],
        }
        r = await http.post(platform.url("intake") + "/v1/intakes", json=second, headers=operator)
        assert r.status_code == 202
        second_id = r.json()["intake_id"]

        async def new_program_referral() -> bool:
            got = await http.get(
                platform.url("referral-router") + "/v1/referrals",
                params={"intake_id": second_id},
                headers=admin,
            )
            return code in {i["program_code"] for i in got.json()["items"]}

        await eventually(new_program_referral, timeout=60)

        # A replay job, left to the router's background workers: a dry run over every stored
        # household, then its report (the new program, already referred, is no gain).
        r = await http.post(platform.url("referral-router") + "/v1/replays", json={}, headers=admin)
        assert r.status_code == 202, r.text
        location = platform.url("referral-router") + r.headers["location"]

        async def replay_done() -> bool:
            return (await http.get(location, headers=admin)).json()["status"] == "done"

        await eventually(replay_done, timeout=60)
        report = (await http.get(location, headers=admin)).json()["report"]
        assert report["intakes_evaluated"] >= 2 and report["gains"] == {}
        assert not report["applied"] and report["referrals_created"] == 0

        # The decisions of an intake, explained from what was stored.
        r = await http.get(
            platform.url("referral-router") + f"/v1/intakes/{second_id}/decisions", headers=admin
        )
        [evaluation] = r.json()["decisions"]
        new_entry = next(p for p in evaluation["programs"] if p["program_code"] == code)
        assert new_entry["eligible"] and new_entry["criteria"][0]["values"] == {
            "needs": ["housing"]
        }

        # Every service serves health, readiness and metrics.
        for service in ("intake", "program-registry", "referral-router", "notifications"):
            assert (await http.get(platform.url(service) + "/healthz")).status_code == 200
            assert (await http.get(platform.url(service) + "/readyz")).json()["status"] == "ready"
            metrics = (await http.get(platform.url(service) + "/metrics")).text
            assert "rujukan_http_requests_total" in metrics
        router_metrics = (await http.get(platform.url("referral-router") + "/metrics")).text
        assert re.search(
            r'rujukan_events_consumed_total\{consumer="router-intakes",result="processed"[^}]*\} [1-9]',  # noqa: E501
            router_metrics,
        )

    # No NIK or KK number in any log line of any service, nor in any Kafka record.
    numbers = {m["nik"] for m in EXAMPLE_INTAKE["members"]}
    numbers |= {EXAMPLE_INTAKE["household"]["kk_number"], second["household"]["kk_number"]}
    for line in platform.log_lines():
        assert not any(n in line for n in numbers), line
    scanned = await scan_every_topic(servers, numbers)
    assert scanned > 20  # intakes, referrals, statuses, outcomes, deliveries were all read


async def scan_every_topic(servers: Servers, secrets: set[str]) -> int:
    """Read every record of every topic from the start; fail on any secret in key, value or
    headers. Returns how many records were read."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        **security_options(),
    )
    await consumer.start()
    read = 0
    try:
        cluster = await consumer._client.fetch_all_metadata()
        topics = [t for t in cluster.topics() if not t.startswith("__")]
        partitions = [
            TopicPartition(t, p) for t in topics for p in cluster.partitions_for_topic(t) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)

        async def behind() -> bool:
            return any([await consumer.position(tp) < end for tp, end in ends.items()])

        while await behind():
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    read += 1
                    parts = [r.key or b"", r.value or b"", *(v for _, v in r.headers or ())]
                    blob = b"".join(parts)
                    leaked = [s for s in secrets if s.encode() in blob]
                    assert not leaked, f"{r.topic}@{r.offset} carries personal identifiers"
    finally:
        await consumer.stop()
    return read
