"""The unit of work: one transaction and everything it causes (cosmicpython, chapter 6).

Every change of state in every service goes through one: the consumer runner opens one per
batch, an HTTP route one per request (``rujukan_platform.dependencies``), a background job one
per round, the outbox relay one over its own transaction for its after-publish handler.

* A service subclasses ``UnitOfWork`` and declares its repositories as typed attributes
  (``referrals: ReferralRepository``); the unit opens each on its session. Handlers change
  state only through them.
* Handlers announce what happened with ``publish``; the events are staged in the outbox with
  one ``COPY`` when the unit commits, and counted there (``staged``), never by hand.
* ``first_time`` is the idempotent consumer's memory (``processed_events``), in the same
  transaction as the change it guards.
* Only the unit's owner commits; leaving the block without ``commit`` rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Self, get_type_hints
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import Event
from rujukan_platform.outbox import OutboxRecord, outbox_record, stage_records

#: every consumer batch runs it: made once (``text`` parses its binds each time it is built)
_FIRST_TIME = text(
    "INSERT INTO processed_events (consumer, event_id)"
    " SELECT :consumer, unnest(CAST(:ids AS uuid[]))"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)


@dataclass(frozen=True, slots=True)
class Envelope:
    """Where a message came from: its CloudEvents envelope and its place on the broker.
    ``value`` is the record as received (a handler may store it as it is)."""

    meta: EventMeta
    topic: str
    partition: int
    offset: int
    value: bytes

    @property
    def traceparent(self) -> str | None:
        return self.meta.traceparent


class Repository:
    """A repository works on its unit of work's session: the unit owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session


_DECLARED: dict[type, dict[str, type[Repository]]] = {}


def _declared_repositories(cls: type) -> dict[str, type[Repository]]:
    """The attributes a unit of work class declares with a ``Repository`` type (found once
    per class)."""
    if cls not in _DECLARED:
        _DECLARED[cls] = {
            name: hint
            for name, hint in get_type_hints(cls).items()
            if isinstance(hint, type) and issubclass(hint, Repository)
        }
    return _DECLARED[cls]


class UnitOfWork:
    """One transaction: its session, the events it raises, the events it has processed."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        traceparent: str | None = None,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._owns_transaction = True
        self._events: list[OutboxRecord] = []
        self._on_commit = on_commit
        #: the trace the unit's events continue (an HTTP request's ``traceparent``)
        self.traceparent = traceparent
        #: the message being handled, set by the consumer runner for each one
        self.cause: Envelope | None = None
        #: events staged in the outbox by this unit's commits
        self.staged = 0

    @classmethod
    def joining(cls, session: AsyncSession) -> Self:
        """A unit inside a transaction someone else owns (the outbox relay's): ``commit``
        stages its events but leaves committing to the owner."""
        uow = cls(async_sessionmaker())
        uow._session = session
        uow._owns_transaction = False
        uow._open(session)
        return uow

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use 'async with uow:'")
        return self._session

    def _open(self, session: AsyncSession) -> None:
        """Open the service's repositories on ``session``: every attribute the subclass
        declares with a ``Repository`` type, so each is named once."""
        for name, repository in _declared_repositories(type(self)).items():
            setattr(self, name, repository(session))

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        await self._session.begin()
        self._open(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._session
        if session is None or not self._owns_transaction:
            return
        try:
            if session.in_transaction():
                await session.rollback()  # nothing left uncommitted survives the block
        finally:
            self._events.clear()
            await session.close()
            self._session = None

    # -- events -----------------------------------------------------------------------------

    def publish(
        self,
        topic: str,
        event: Event,
        *,
        event_id: UUID | None = None,
        traceparent: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Announce ``event`` on ``topic`` once this unit commits. Its trace continues the
        message being handled (or the request), unless ``traceparent`` says otherwise."""
        cause = traceparent or (self.cause.traceparent if self.cause else self.traceparent)
        self._events.append(
            outbox_record(event, topic=topic, traceparent=cause, event_id=event_id, at=at)
        )

    def add_records(self, records: Sequence[OutboxRecord]) -> None:
        """Events a set-based fast path prepared itself (``outbox.outbox_record``)."""
        self._events.extend(records)

    def take_events(self) -> list[OutboxRecord]:
        """The events raised so far, handed to the caller instead of the outbox (the relay
        publishes an after-publish handler's events itself)."""
        events, self._events = self._events, []
        return events

    @property
    def pending(self) -> int:
        """Events raised and not yet staged."""
        return len(self._events)

    # -- idempotent consumers ---------------------------------------------------------------

    async def first_time(self, consumer: str, event_ids: Sequence[UUID]) -> set[UUID]:
        """Mark ``event_ids`` processed by ``consumer``; returns those not processed before."""
        if not event_ids:
            return set()
        rows = await self.session.execute(
            _FIRST_TIME, {"consumer": consumer, "ids": list(dict.fromkeys(event_ids))}
        )
        return set(rows.scalars())

    # -- the end ----------------------------------------------------------------------------

    async def commit(self) -> int:
        """Stage the raised events in the outbox and commit; returns how many were staged."""
        staged = len(self._events)
        if self._events:
            await stage_records(self.session, self._events)
            self._events = []
        self.staged += staged
        if self._owns_transaction:
            await self.session.commit()
            if self._on_commit is not None:
                self._on_commit(staged)  # the relay publishes them now, not at its next poll
        return staged

    async def rollback(self) -> None:
        self._events.clear()
        if self._owns_transaction and self._session is not None:
            await self._session.rollback()
