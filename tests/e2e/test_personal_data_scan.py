"""Where residents' identifiers and callers' credentials end up, measured (issue 12).

The four services run as deployed. Households with known NIKs, KK numbers, names, e-mail
addresses and phone numbers go through intake (single and batch), are routed, answered by an
agency and told; then every service's log, every record of every topic and a ``pg_dump`` of
every service's database are scanned for each of them, for the bearer tokens used, and for
anything shaped like a JWT. Raw NIKs, KK numbers, tokens, names and contacts may be nowhere in a
log or a dump (names and contacts are sealed at rest); contacts travel only on
``intake.contacts`` (notifications' own topic). The counts are printed.

The services export their spans over OTLP/HTTP to a receiver in the test (``otlp``), so one start
of the platform serves two tests: the spans are scanned like the logs, and one trace is followed
from the intake API's request through the router's consumption to the notifications consumer's,
each a link of one chain of parents.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

from rujukan_contracts.topics import INTAKE_SUBMITTED, REFERRALS_STATUS
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_intake.synthetic import households
from rujukan_platform.kafka import security_options
from rujukan_platform.testing import Servers, eventually, pg_dump
from tests.e2e.otlp import Receiver, Span, receiving
from tests.e2e.platform import Platform, running_platform

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")
#: where each kind may be stored in the clear: nowhere (names and contacts are sealed at rest)
ALLOWED_DATABASES: dict[str, set[str]] = {}
CONTACT_TOPIC = re.compile(r"(^|\.)intake\.contacts$")
CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as server:
        yield server


@pytest.fixture(scope="module")
async def platform(
    servers: Servers, tmp_path_factory: pytest.TempPathFactory, receiver: Receiver
) -> AsyncIterator[Platform]:
    """The four services, started once for this module's tests, exporting spans to ``receiver``."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        env.setenv("OTEL_BSP_SCHEDULE_DELAY", "200")  # export within a fifth of a second
        env.delenv("OTEL_SDK_DISABLED", raising=False)
        async with running_platform(servers, tmp_path_factory.mktemp("platform")) as p:
            yield p


def residents(count: int) -> list[dict[str, Any]]:
    """Generated households of Banjarnegara, each with an e-mail and a phone it consented to."""
    out = []
    for i, h in enumerate(households(count, seed=1204)):
        h["consent"]["purposes"] = ["referral", "notification"]
        for m, member in enumerate(h["members"]):
            member["name"] = f"Sutinah Pindai {i}x{m}"
        h["contact"] = {
            "language": "id",
            "email": f"keluarga.{i}.{h['household']['kk_number'][-6:]}@contoh.id",
            "phone": f"+62812{70000000 + i * 7919:08d}",
        }
        out.append(h)
    return out


def secrets_of(intakes: list[dict[str, Any]], tokens: list[str]) -> dict[str, set[bytes]]:
    kinds: dict[str, set[bytes]] = {"nik": set(), "kk": set(), "name": set(), "contact": set()}
    for h in intakes:
        kinds["kk"].add(h["household"]["kk_number"].encode())
        for m in h["members"]:
            kinds["nik"].add(m["nik"].encode())
            kinds["name"].add(m["name"].encode())
        kinds["contact"] |= {h["contact"]["email"].encode(), h["contact"]["phone"].encode()}
        kinds["contact"].add(h["contact"]["phone"].replace("+62", "0").encode())
    kinds["token"] = {t.encode() for t in tokens}
    return kinds


def found_in(blob: bytes, kinds: dict[str, set[bytes]]) -> Counter[str]:
    hits: Counter[str] = Counter()
    for kind, values in kinds.items():
        hits[kind] += sum(blob.count(v) for v in values)
    hits["jwt-shaped"] += len(JWT.findall(blob))
    return +hits


async def topics_scanned(servers: Servers, kinds: dict[str, set[bytes]]) -> dict[str, Counter[str]]:
    """Every record of every platform topic from the start (not the other tests' own
    ``test-*`` topics, some of which carry credentials to prove they are stripped)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        **security_options(),
    )
    await consumer.start()
    per_topic: dict[str, Counter[str]] = {}
    try:
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [
            TopicPartition(t, p)
            for t in cluster.topics()
            if not t.startswith(("__", "test-"))
            for p in cluster.partitions_for_topic(t) or ()
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for r in records:
                    blob = b"\0".join(
                        [r.key or b"", r.value or b"", *(v for _, v in r.headers or ())]
                    )
                    per_topic.setdefault(tp.topic, Counter()).update(found_in(blob, kinds))
                    per_topic[tp.topic]["records"] += 1
    finally:
        await consumer.stop()
    return per_topic


def dump(servers: Servers, database: str) -> bytes:
    """``pg_dump`` of one service's database, as an operator would take a backup."""
    return pg_dump(f"{servers.pg_url}/{database}")


async def test_no_identifier_or_credential_where_it_does_not_belong(
    platform: Platform, servers: Servers, receiver: Receiver
) -> None:
    operator = platform.token("operator", regions=["33.04"])
    admin = platform.token("admin")
    intakes = residents(12)
    async with httpx.AsyncClient(timeout=30) as http:
        ids = []
        for body in intakes[:4]:
            r = await http.post(platform.url("intake") + "/v1/intakes", json=body, headers=operator)
            assert r.status_code == 202, r.text
            ids.append(r.json()["intake_id"])
        items = [{"idempotency_key": f"scan-{i}", "intake": b} for i, b in enumerate(intakes[4:])]
        r = await http.post(
            platform.url("intake") + "/v1/intakes/batch", json={"items": items}, headers=operator
        )
        assert r.status_code == 200, r.text
        ids += [res["intake_id"] for res in r.json()["results"]]

        async def routed() -> list[dict[str, Any]]:
            got = []
            for intake_id in ids:
                page = await http.get(
                    platform.url("referral-router") + "/v1/referrals",
                    params={"intake_id": intake_id},
                    headers=admin,
                )
                got += page.json()["items"]
            delivered = [g for g in got if g["status"] == "delivered"]
            return delivered if len(delivered) == len(got) and got else []

        referrals = await eventually(routed, timeout=90)
        agency_token = platform.token("agency", programs=[referrals[0]["program_code"]])
        r = await http.post(
            f"{platform.url('referral-router')}/v1/referrals/{referrals[0]['referral_id']}/outcome",
            json={"outcome": "accepted"},
            headers=agency_token,
        )
        assert r.status_code == 200, r.text
        emails = {h["contact"]["email"] for h in intakes}
        await eventually(lambda: emails <= {m["To"] for m in platform.mailbox.messages}, timeout=90)
        # each service has read and written everything by now: its logs, topics and tables
        await asyncio.sleep(2)

    tokens = [t["Authorization"].removeprefix("Bearer ") for t in (operator, admin, agency_token)]
    kinds = secrets_of(intakes, tokens)

    logs = {name: found_in(p.read_bytes(), kinds) for name, p in platform.log_files().items()}
    topics = await topics_scanned(servers, kinds)
    dumps = {
        name: found_in(await asyncio.to_thread(dump, servers, db), kinds)
        for name, db in platform.databases.items()
    }
    spans = {"every service": found_in(receiver.everything(), kinds)}
    print("\npersonal data scan (occurrences):")
    for where, table in (("log", logs), ("database", dumps), ("spans", spans)):
        for name, hits in sorted(table.items()):
            print(f"  {where:8s} {name:18s} {dict(hits) or 'none'}")
    carried = {t: dict(h) for t, h in topics.items() if set(h) - {"records"}}
    print(
        f"  topics   {sum(h['records'] for h in topics.values())} records read; carrying: {carried}"
    )

    wrong: list[str] = []
    for name, hits in logs.items():
        if hits:
            wrong.append(f"log of {name}: {dict(hits)}")
    if spans["every service"]:
        wrong.append(f"spans: {dict(spans['every service'])}")
    for topic, hits in topics.items():
        allowed = {"records"} | ({"contact"} if CONTACT_TOPIC.search(topic) else set())
        if set(hits) - allowed:
            wrong.append(f"topic {topic}: {dict(hits)}")
    for name, hits in dumps.items():
        for kind in hits:
            if name not in ALLOWED_DATABASES.get(kind, set()):
                wrong.append(f"database of {name}: {kind} x{hits[kind]}")
    assert not wrong, "\n".join(wrong)
    # the scan looked where the data went: the contacts did travel, on their own topic, and
    # the services the households passed through sent their spans
    assert any(CONTACT_TOPIC.search(t) and h["contact"] for t, h in topics.items())
    assert {"intake", "referral-router", "notifications"} <= {s.service for s in receiver.spans}


def _one(spans: list[Span], service: str, name: str, kind: int) -> list[Span]:
    return [s for s in spans if (s.service, s.name, s.kind) == (service, name, kind)]


async def test_one_trace_runs_from_the_intake_api_through_the_router_to_notifications(
    platform: Platform, receiver: Receiver
) -> None:
    operator = platform.token("operator", regions=["33.04"])
    headers = {**operator, "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"}
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            platform.url("intake") + "/v1/intakes", json=EXAMPLE_INTAKE, headers=headers
        )
    assert r.status_code == 202, r.text

    def notified() -> list[Span]:
        spans = receiver.trace(CALLER_TRACE)
        return _one(
            spans, "notifications", f"process {REFERRALS_STATUS}", SpanProto.SPAN_KIND_CONSUMER
        )

    await eventually(notified, timeout=60)

    def whole() -> list[Span]:
        """The trace once every parent in it has arrived (the caller's span is not ours)."""
        spans = receiver.trace(CALLER_TRACE)
        ids = {s.span_id for s in spans} | {CALLER_SPAN}
        return spans if all(s.parent_id in ids for s in spans) else []

    spans = await eventually(whole, timeout=15)
    by_id = {s.span_id: s for s in spans}

    (request,) = _one(spans, "intake", "POST /v1/intakes", SpanProto.SPAN_KIND_SERVER)
    assert request.parent_id == CALLER_SPAN
    (submitted,) = _one(
        spans, "intake", f"publish {INTAKE_SUBMITTED}", SpanProto.SPAN_KIND_PRODUCER
    )
    assert submitted.parent_id == request.span_id
    (routed,) = _one(
        spans, "referral-router", f"process {INTAKE_SUBMITTED}", SpanProto.SPAN_KIND_CONSUMER
    )
    assert routed.parent_id == submitted.span_id
    assert routed.attributes["messaging.system"] == "kafka"
    assert routed.attributes["messaging.consumer.group.name"] == "router-intakes"
    assert routed.attributes["messaging.message.id"] == submitted.attributes["messaging.message.id"]
    for notice in notified():  # each status the router published, read by notifications
        sent = by_id[notice.parent_id]
        assert (sent.service, sent.name) == ("referral-router", f"publish {REFERRALS_STATUS}")
        assert sent.kind == SpanProto.SPAN_KIND_PRODUCER
        assert by_id[sent.parent_id] == routed
    # the database calls of the request and of the routing are their children
    queries = [s for s in spans if s.kind == SpanProto.SPAN_KIND_CLIENT]
    assert {request.span_id, routed.span_id} <= {q.parent_id for q in queries}

    # no member's NIK or name reached a span (statements are recorded without parameters)
    personal = [v for m in EXAMPLE_INTAKE["members"] for k, v in m.items() if k in ("nik", "name")]
    everything = receiver.everything()
    assert personal and not [p for p in personal if p.encode() in everything]
