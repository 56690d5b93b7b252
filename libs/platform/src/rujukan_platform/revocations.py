"""Revoked tokens: the compacted ``auth.revocations`` topic, read whole by every service process.

``rujukan token revoke`` writes a ``TokenRevokedV1`` keyed by the token's ``jti``; each process
that serves the API holds the set of revoked ``jti`` in memory (``Revocations``, a
``CompactedTopicView``) and its ``Authenticator`` refuses them. Until the view has caught up
the process cannot tell a revoked token from a good one, so it answers 503 (fail closed).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from rujukan_contracts.auth_events import TokenRevokedV1
from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import Event
from rujukan_contracts.topics import TOPICS
from rujukan_platform.kafka import create_topics, make_producer, topic_specs
from rujukan_platform.view import CompactedTopicView

REVOCATIONS = "auth.revocations"
SOURCE = "/rujukan/operators"


class Revocations:
    """The ``jti`` of every revoked token that has not expired yet."""

    def __init__(self, *, bootstrap: str, client_id: str) -> None:
        self._bootstrap = bootstrap
        #: jti -> the token's expiry (seconds since the epoch; None: kept for good)
        self._revoked: dict[str, float | None] = {}
        self._prune_at = 1024
        self.view = CompactedTopicView(
            bootstrap=bootstrap, topic=REVOCATIONS, apply=self._apply, client_id=client_id
        )

    @property
    def ready(self) -> asyncio.Event:
        """Set once every revocation written before the process started is known."""
        return self.view.ready

    def __contains__(self, jti: str) -> bool:
        return jti in self._revoked

    async def run(self, stop: asyncio.Event) -> None:
        """Read the topic (created first where it is missing: a fresh development broker)."""
        await create_topics(self._bootstrap, topic_specs([TOPICS[REVOCATIONS]]))
        await self.view.run(stop)

    async def _apply(self, jti: str, event: Event | None) -> None:
        if not isinstance(event, TokenRevokedV1):  # a tombstone: the token has expired
            self._revoked.pop(jti, None)
            return
        self._revoked[jti] = event.expires_at.timestamp() if event.expires_at else None
        if len(self._revoked) >= self._prune_at:  # expired tokens are refused anyway
            now = time.time()
            self._revoked = {j: exp for j, exp in self._revoked.items() if exp is None or exp > now}
            self._prune_at = max(1024, 2 * len(self._revoked))


def revocation(
    jti: str, *, reason: str | None = None, expires_at: datetime | None = None
) -> TokenRevokedV1:
    return TokenRevokedV1(
        jti=jti, reason=reason, revoked_at=datetime.now(UTC), expires_at=expires_at
    )


async def publish(bootstrap: str, event: TokenRevokedV1) -> None:
    """Write a revocation (acks=all: once this returns, every process will see it)."""
    await create_topics(bootstrap, topic_specs([TOPICS[REVOCATIONS]]))
    producer = make_producer(bootstrap, client_id="rujukan-token-revoke")
    await producer.start()
    try:
        meta = EventMeta(type=event.ce_type, source=SOURCE, subject=event.key())
        await producer.send_and_wait(
            REVOCATIONS,
            event.model_dump_json().encode(),
            key=event.key().encode(),
            headers=meta.to_headers(),
        )
    finally:
        await producer.stop()
