"""Revoked tokens (``revocations``) through the real ``auth.revocations`` topic: a process knows
every revocation written before it started before it trusts any token, learns new ones as they
come, forgets a revocation whose token expired, and refuses (503) while it cannot tell."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from starlette.requests import Request

from rujukan_platform.auth import Authenticator, Principal, issue_token
from rujukan_platform.kafka import make_producer
from rujukan_platform.language import Localised
from rujukan_platform.problems import Problem
from rujukan_platform.revocations import REVOCATIONS, Revocations, publish, revocation
from rujukan_platform.testing import Servers, eventually

SECRET = "a-test-secret-of-at-least-32-bytes!!"


def later(hours: float = 1) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def new_jti() -> str:
    return f"test-{uuid.uuid4()}"


@asynccontextmanager
async def reading(servers: Servers) -> AsyncIterator[Revocations]:
    """A process's revocations, read from the topic until the block ends."""
    revocations = Revocations(bootstrap=servers.kafka_bootstrap, client_id="test-revocations")
    stop = asyncio.Event()
    task = asyncio.create_task(revocations.run(stop))
    try:
        yield revocations
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def bearer_request(token: str) -> Request:
    headers = [(b"authorization", f"Bearer {token}".encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.mark.integration
async def test_a_process_knows_earlier_revocations_once_ready_and_learns_new_ones(
    servers: Servers,
) -> None:
    before, forever = new_jti(), new_jti()
    await publish(servers.kafka_bootstrap, revocation(before, expires_at=later()))
    await publish(servers.kafka_bootstrap, revocation(forever, reason="laptop hilang"))
    async with reading(servers) as revocations:
        await asyncio.wait_for(revocations.ready.wait(), 30)
        assert before in revocations and forever in revocations  # ready means caught up
        assert new_jti() not in revocations

        after = new_jti()
        await publish(servers.kafka_bootstrap, revocation(after, expires_at=later()))
        await eventually(lambda: after in revocations, timeout=15)

        # a tombstone (the token expired, the revocation may go): forgotten
        producer = make_producer(servers.kafka_bootstrap, client_id="test")
        await producer.start()
        try:
            await producer.send_and_wait(REVOCATIONS, None, key=before.encode())
        finally:
            await producer.stop()
        await eventually(lambda: before not in revocations, timeout=15)
        assert forever in revocations and after in revocations


@pytest.mark.integration
async def test_a_revoked_token_is_refused_and_the_others_are_not(servers: Servers) -> None:
    lost = issue_token(SECRET, Principal(subject="op-1", role="operator", regions=["33.04"]))
    kept = issue_token(SECRET, Principal(subject="op-1", role="operator", regions=["33.04"]))
    claims = jwt.decode(lost, options={"verify_signature": False})
    authenticator = Authenticator(SECRET, {})
    async with reading(servers) as revocations:
        authenticator.watch(revocations)
        # used once before it is revoked: the verified token is remembered, and still refused
        assert (await authenticator.authenticate(bearer_request(lost))).subject == "op-1"
        await publish(
            servers.kafka_bootstrap,
            revocation(claims["jti"], expires_at=datetime.fromtimestamp(claims["exp"], UTC)),
        )

        async def refused() -> bool:
            try:
                await authenticator.authenticate(bearer_request(lost))
            except Problem as problem:
                assert problem.status == 401
                assert problem.detail == Localised("token telah dicabut", "token revoked")
                return True
            return False

        await eventually(refused, timeout=15)
        assert (await authenticator.authenticate(bearer_request(kept))).subject == "op-1"


async def test_until_the_revocations_have_loaded_every_token_gets_503() -> None:
    """Nothing read yet (the broker is away): a revoked token cannot be told from a good one."""
    revocations = Revocations(bootstrap="127.0.0.1:1", client_id="never-started")
    authenticator = Authenticator(SECRET, {}, revocations_wait_seconds=0.05)
    authenticator.watch(revocations)
    token = issue_token(SECRET, Principal(subject="a", role="admin"))
    started = time.monotonic()
    with pytest.raises(Problem) as refused:
        await authenticator.authenticate(bearer_request(token))
    assert time.monotonic() - started >= 0.05  # it waited for them first
    assert refused.value.status == 503 and refused.value.headers == {"Retry-After": "5"}
    assert str(refused.value.detail).startswith("daftar token yang dicabut belum termuat;")
    revocations.ready.set()  # loaded, and nothing is revoked
    assert (await authenticator.authenticate(bearer_request(token))).role == "admin"


async def test_many_revocations_forget_the_tokens_that_have_expired_anyway() -> None:
    """What the view does with each record (its ``apply``), without a broker: the set is pruned
    of expired tokens once it is large, never of those still valid or kept for good."""
    revocations = Revocations(bootstrap="127.0.0.1:1", client_id="unit")
    expired = [f"old-{n}" for n in range(1000)]
    for jti in expired:
        event = revocation(jti, expires_at=datetime.now(UTC) - timedelta(minutes=1))
        await revocations._apply(jti, event)
    valid = [f"valid-{n}" for n in range(20)]
    for jti in valid:
        await revocations._apply(jti, revocation(jti, expires_at=later()))
    for n in range(4):
        await revocations._apply(f"forever-{n}", revocation(f"forever-{n}"))
    assert "old-0" not in revocations and "old-999" not in revocations
    assert all(jti in revocations for jti in valid)
    assert all(f"forever-{n}" in revocations for n in range(4))
    assert len(revocations._revoked) == 24
    # what is left no longer triggers a prune per record: the next one is at 1024 again
    assert revocations._prune_at == 1024
    await revocations._apply("valid-0", None)  # a tombstone
    assert "valid-0" not in revocations
