"""Pure logic of the shared library: masking, problem fields, tokens, DLQ limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rujukan_platform.auth import AuthenticationError, Principal, issue_token, principal_of_token
from rujukan_platform.consumer import DlqGuard, DlqLimit
from rujukan_platform.logging import mask
from rujukan_platform.problems import Problem, _loc_to_field


def test_mask_hides_nik_kk_email_and_phone() -> None:
    text = "nik 3304011203840001 kk=3304010101200001 mail warga@example.org hp 081234567890"
    masked = mask(text)
    assert "3304011203840001" not in masked and "3304010101200001" not in masked
    assert "warga@" not in masked and "w***@example.org" in masked
    assert "081234567890" not in masked
    assert mask("referral 7e57d004 decile 2") == "referral 7e57d004 decile 2"


def test_validation_locations_become_field_paths() -> None:
    assert _loc_to_field(("body", "members", 0, "nik")) == "members[0].nik"
    assert _loc_to_field(("body",)) == "body"
    assert _loc_to_field(("query", "limit")) == "limit"


def test_problem_body_is_rfc9457() -> None:
    body = Problem(
        409, "Conflict", "already there", errors=[{"field": "code", "reason": "x"}]
    ).body("/v1/x")
    assert body == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "already there",
        "instance": "/v1/x",
        "errors": [{"field": "code", "reason": "x"}],
    }


def test_tokens_round_trip_and_refuse_tampering() -> None:
    p = Principal(subject="op-1", role="operator", regions=["33.04"])
    token = issue_token("a-test-secret-of-at-least-32-bytes!", p)
    assert principal_of_token("a-test-secret-of-at-least-32-bytes!", token) == p
    with pytest.raises(AuthenticationError, match="not valid"):
        principal_of_token("another-secret-of-at-least-32-bytes", token)


def test_region_scope_uses_whole_segments() -> None:
    p = Principal(subject="op", role="operator", regions=["33.04"])
    assert p.covers_region("33.04.01.2001")
    assert not p.covers_region("33.05.01.2001")
    assert not p.covers_region("33.040.1")
    assert Principal(subject="a", role="admin").covers_region("11.01.01.2001")


def test_dlq_guard_refuses_the_dead_letter_that_would_reach_the_consecutive_limit() -> None:
    guard = DlqGuard(DlqLimit(max_consecutive=3, max_ratio=1.0, window=10))
    guard.record(True)
    guard.record(False)  # a success resets the run
    guard.record(True)
    assert guard.allows_another()
    guard.record(True)
    assert not guard.allows_another()


def test_dlq_guard_refuses_on_ratio_over_a_full_window() -> None:
    guard = DlqGuard(DlqLimit(max_consecutive=100, max_ratio=0.5, window=4))
    for dead in (True, False, False):
        guard.record(dead)
    assert guard.allows_another()  # window not full yet
    guard.record(True)  # window: T F F T (2 of 4)
    assert guard.allows_another()  # the oldest T drops out: F F T T
    guard.record(True)  # F F T T
    assert not guard.allows_another()  # F T T T would be 3 of 4


def test_dlq_guard_pauses_longer_while_it_keeps_tripping_until_a_record_succeeds() -> None:
    guard = DlqGuard(DlqLimit(pause_seconds=10, max_pause_seconds=35))
    assert [guard.trip(), guard.trip(), guard.trip(), guard.trip()] == [10, 20, 35, 35]
    guard.record(False)
    assert guard.trip() == 10


def test_kafka_security_options_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from rujukan_platform import kafka

    for name in ("SECURITY_PROTOCOL", "SASL_MECHANISM", "SASL_USERNAME", "SASL_PASSWORD"):
        monkeypatch.delenv(f"RUJUKAN_KAFKA_{name}", raising=False)  # make test sets them
    kafka.security_options.cache_clear()
    assert kafka.security_options() == {"security_protocol": "PLAINTEXT"}
    kafka.security_options.cache_clear()
    monkeypatch.setenv("RUJUKAN_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("RUJUKAN_KAFKA_SASL_USERNAME", "intake")
    monkeypatch.setenv("RUJUKAN_KAFKA_SASL_PASSWORD", "s3cret")
    options = kafka.security_options()
    kafka.security_options.cache_clear()
    assert options == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "intake",
        "sasl_plain_password": "s3cret",
    }


async def test_request_metrics_are_labelled_with_the_route_template() -> None:
    from fastapi import APIRouter
    from prometheus_client import REGISTRY

    from rujukan_platform.settings import ServiceSettings
    from rujukan_platform.testing import bearer, client_of, open_app

    router = APIRouter()

    @router.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    app = open_app(router, settings=ServiceSettings())
    labels = {"route": "/v1/things/{thing_id}", "method": "GET", "status": "200"}
    before = REGISTRY.get_sample_value("rujukan_http_requests_total", labels) or 0.0
    async with client_of(app, **bearer()) as c:
        assert (await c.get("/v1/things/abc")).status_code == 200
        assert (await c.get("/v1/things/def")).status_code == 200
    assert REGISTRY.get_sample_value("rujukan_http_requests_total", labels) == before + 2


def test_service_scoped_settings_override_shared_ones_and_parse_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rujukan_platform.settings import ServiceSettings

    class Demo(ServiceSettings):
        service: str = "demo-service"
        mapping: dict[str, dict[str, str]] = {}

    monkeypatch.setenv("RUJUKAN_PORT", "9000")
    monkeypatch.setenv("RUJUKAN_DEMO_SERVICE_PORT", "9100")
    monkeypatch.setenv("RUJUKAN_DEMO_SERVICE_MAPPING", '{"PKH": {"url": "http://x"}}')
    settings = Demo()
    assert settings.port == 9100
    assert settings.mapping == {"PKH": {"url": "http://x"}}


def test_transient_failures_are_told_from_bugs() -> None:
    import asyncpg
    from aiokafka.errors import (
        KafkaConnectionError,
        NotLeaderForPartitionError,
        RecordTooLargeError,
    )
    from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

    from rujukan_platform.failures import is_transient

    class Coded(Exception):
        def __init__(self, sqlstate: str) -> None:
            super().__init__(sqlstate)
            self.sqlstate = sqlstate

    weather = [
        OperationalError("select 1", {}, ConnectionRefusedError()),
        ConnectionRefusedError(),
        TimeoutError(),
        DBAPIError("update", {}, Coded("40P01")),  # deadlock: the other transaction won
        DBAPIError("update", {}, Coded("40001")),  # serialization failure
        DBAPIError("select", {}, Coded("57P03")),  # the database system is starting up
        DBAPIError("select", {}, Coded("57P01")),  # terminating connection (admin shutdown)
        DBAPIError("select", {}, Coded("08006")),  # connection failure
        DBAPIError("select", {}, Coded("53300")),  # too many connections
        asyncpg.CannotConnectNowError("the database system is starting up"),
        KafkaConnectionError(),
        NotLeaderForPartitionError(),
    ]
    poison = [
        DBAPIError("update", {}, ValueError("bad value")),
        IntegrityError("insert", {}, Exception("duplicate key")),
        DataError("insert", {}, Coded("22P05")),  # unsupported Unicode escape (a NUL in jsonb)
        DataError("insert", {}, Coded("22021")),  # invalid byte sequence for encoding UTF8
        OperationalError("insert", {}, Coded("22021")),  # whatever the wrapper says
        RecordTooLargeError(),
        KeyError("bug"),
        ValueError("bad"),
    ]
    assert [is_transient(e) for e in weather] == [True] * len(weather)
    assert [is_transient(e) for e in poison] == [False] * len(poison)


def test_the_collector_freezes_what_is_alive_and_collects_less_often() -> None:
    import gc

    from rujukan_platform.heap import THRESHOLDS, tune_collector

    before = gc.get_threshold()
    gc.unfreeze()
    kept = [[n] for n in range(1000)]  # lists are tracked by the collector
    try:
        assert gc.get_freeze_count() == 0
        tune_collector()
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


@given(key=st.binary(min_size=1, max_size=64), count=st.integers(min_value=1, max_value=64))
def test_batches_go_to_the_partition_aiokafka_would_choose(key: bytes, count: int) -> None:
    from aiokafka.partitioner import DefaultPartitioner, murmur2

    from rujukan_platform.publish import partition_of

    partitions = list(range(count))
    assert partition_of(murmur2(key), partitions) == DefaultPartitioner()(
        key, partitions, partitions
    )


def test_ids_are_uuid7_time_ordered_and_distinct() -> None:
    import time as clock
    import uuid

    from rujukan_platform.ids import new_id

    before = clock.time_ns() // 1_000_000
    ids = [new_id() for _ in range(20_000)]
    after = clock.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    assert all(isinstance(i, uuid.UUID) and i.version == 7 for i in ids)
    assert all(i.variant == uuid.RFC_4122 for i in ids)
    stamps = [i.int >> 80 for i in ids]
    assert stamps == sorted(stamps) and before <= stamps[0] and stamps[-1] <= after
    assert uuid.UUID(str(ids[0])) == ids[0]  # a plain uuid.UUID wherever one is expected
