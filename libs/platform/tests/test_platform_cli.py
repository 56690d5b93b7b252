"""``python -m rujukan_platform``: the chores an operator runs (development tokens, revoking a
token of any issuer, the catalogue's topics), against the real broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from typer.testing import CliRunner, Result

from rujukan_contracts.auth_events import TokenRevokedV1
from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.topics import TOPICS
from rujukan_platform.__main__ import cli
from rujukan_platform.auth import Principal, principal_of_token
from rujukan_platform.kafka import create_topics, topic_specs
from rujukan_platform.revocations import REVOCATIONS
from rujukan_platform.testing import Servers, tail

SECRET = "a-test-secret-of-at-least-32-bytes!!"


async def run(*args: str, **env: str) -> Result:
    """The command as a shell runs it (in a thread: it runs its own event loop)."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, cli, list(args), env=env)


async def test_a_development_token_names_the_principal_asked_for() -> None:
    done = await run(
        "token", "issue", "--role", "agency", "--subject", "agency:BLT-DD",
        "--region", "33.04.01.2001", "--program", "BLT-DD", "--program", "PKH", "--ttl", "120",
        RUJUKAN_AUTH_SECRET=SECRET,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    token = done.stdout.strip()
    assert principal_of_token(SECRET, token) == Principal(
        subject="agency:BLT-DD",
        role="agency",
        regions=["33.04.01.2001"],
        programs=["BLT-DD", "PKH"],
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert 115 <= claims["exp"] - time.time() <= 120
    with pytest.raises(Exception, match="not valid"):  # signed with the secret it was given
        principal_of_token("another-secret-of-at-least-32-bytes!", token)


async def test_a_token_with_a_role_the_platform_does_not_know_is_not_issued() -> None:
    done = await run("token", "issue", "--role", "root", RUJUKAN_AUTH_SECRET=SECRET)
    assert done.exit_code != 0 and not done.stdout.strip()


def revoked_with(jti: str) -> Any:
    def want(record: Any) -> bool:
        return bool(record.key == jti.encode())

    return want


@pytest.mark.integration
async def test_revoking_a_token_writes_its_jti_and_expiry_and_nothing_else(
    servers: Servers,
) -> None:
    await create_topics(servers.kafka_bootstrap, topic_specs([TOPICS[REVOCATIONS]]))
    jti = f"test-{uuid.uuid4()}"
    exp = int(time.time()) + 600
    token = jwt.encode(  # another issuer's token: its signature does not matter here
        {"iss": "https://sso.example", "sub": "Siti Aminah", "jti": jti, "exp": exp},
        "whoever-signed-it-we-do-not-need-their-key",
        algorithm="HS256",
    )
    async with tail(servers, REVOCATIONS) as revocations:
        done = await run(
            "token", "revoke", token, "--reason", "laptop hilang / lost laptop",
            RUJUKAN_KAFKA_BOOTSTRAP=servers.kafka_bootstrap,
        )  # fmt: skip
        assert done.exit_code == 0, done.output
        assert done.stdout.strip() == f"dicabut / revoked: jti {jti}"
        (record,) = await revocations.find(revoked_with(jti))
    meta = EventMeta.from_headers(record.headers)
    assert meta.type == TokenRevokedV1.ce_type and meta.subject == jti
    event = TokenRevokedV1.model_validate_json(record.value)
    assert event.jti == jti and event.reason == "laptop hilang / lost laptop"
    assert event.expires_at == datetime.fromtimestamp(exp, UTC)
    assert b"Siti" not in record.value and token.encode() not in record.value  # the jti only


@pytest.mark.integration
async def test_a_bare_jti_is_revoked_for_good(servers: Servers) -> None:
    jti = f"test-{uuid.uuid4()}"
    async with tail(servers, REVOCATIONS) as revocations:
        done = await run("token", "revoke", jti, RUJUKAN_KAFKA_BOOTSTRAP=servers.kafka_bootstrap)
        assert done.exit_code == 0, done.output
        (record,) = await revocations.find(revoked_with(jti))
    event = TokenRevokedV1.model_validate_json(record.value)
    assert event.expires_at is None and event.reason is None


@pytest.mark.parametrize(
    ("argument", "why"),
    [
        ("not.a.token", "neither a readable token nor a jti"),
        (
            jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256"),
            "it cannot be revoked, only expire",
        ),
        ("", "jti"),  # an empty jti names no token
    ],
)
async def test_what_names_no_token_is_refused_before_anything_is_written(
    argument: str, why: str
) -> None:
    # a broker nobody listens on: the command must refuse before it would try to write
    done = await run("token", "revoke", argument, RUJUKAN_KAFKA_BOOTSTRAP="127.0.0.1:1")
    assert done.exit_code == 2, done.output
    assert why in done.output


@pytest.mark.integration
async def test_the_topics_command_says_how_many_it_created(servers: Servers) -> None:
    first = await run("topics", RUJUKAN_KAFKA_BOOTSTRAP=servers.kafka_bootstrap)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("topics: ")
    again = await run("topics", RUJUKAN_KAFKA_BOOTSTRAP=servers.kafka_bootstrap)
    assert again.exit_code == 0 and again.stdout.strip() == "topics: 0 created"
