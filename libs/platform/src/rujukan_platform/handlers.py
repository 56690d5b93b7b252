"""Handlers in one table per service: message type -> ``handler(message, uow)``.

A service lists every command and event it acts on in one ``Handlers`` table; the consumer
runner, the HTTP routes, background jobs and the outbox relay's after-publish step all reach the
service's logic through it, so there is one way in and one place to read what a service does.

A handler may also have a *batch* form for throughput (``many``): it gets every fresh message
of its type in a consumer batch at once, each with its envelope, in one unit of work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rujukan_platform.outbox import OutboxEvent
from rujukan_platform.uow import Envelope, UnitOfWork

M = TypeVar("M")
U = TypeVar("U", bound=UnitOfWork)


@dataclass(frozen=True, slots=True)
class Received(Generic[M]):
    """A message of a consumer batch with the envelope it came in."""

    message: M
    envelope: Envelope


@dataclass(frozen=True, slots=True)
class Published:
    """The outbox relay's after-publish message: Kafka acknowledged these rows. Handled in the
    relay's own transaction; the events its handler raises are published before that commits
    (their ids derived from the rows, ``outbox.follow_up_id``: a republished batch repeats
    them, never loses them)."""

    events: Sequence[OutboxEvent]


class UnknownMessage(LookupError):
    """No handler for this type of message."""


class Handlers(Generic[U]):
    """The table: each message type has one handler, and optionally a batch form."""

    def __init__(self) -> None:
        self._one: dict[type[Any], Callable[[Any, U], Awaitable[Any]]] = {}
        self._many: dict[type[Any], Callable[[Sequence[Received[Any]], U], Awaitable[Any]]] = {}

    def on(
        self,
        message_type: type[M],
        handler: Callable[[M, U], Awaitable[Any]],
        *,
        many: Callable[[Sequence[Received[M]], U], Awaitable[Any]] | None = None,
    ) -> Handlers[U]:
        if message_type in self._one:
            raise ValueError(f"{message_type.__name__} has a handler already")
        self._one[message_type] = handler
        if many is not None:
            self._many[message_type] = many
        return self

    def on_batches(
        self,
        message_type: type[M],
        many: Callable[[Sequence[Received[M]], U], Awaitable[Any]],
    ) -> Handlers[U]:
        """A type whose handler takes batches only: a message handled alone is a batch of
        one, its envelope the unit of work's cause (so it must have one: a consumed event)."""

        async def one(message: M, uow: U) -> Any:
            if uow.cause is None:
                raise ValueError(f"{message_type.__name__} is handled as a consumed event")
            return await many([Received(message, uow.cause)], uow)

        return self.on(message_type, one, many=many)

    def only(self, *message_types: type[Any]) -> Handlers[U]:
        """The part of the table a consumer applies (the types its topics carry)."""
        part: Handlers[U] = Handlers()
        for t in message_types:
            if t not in self._one:
                raise UnknownMessage(t.__name__)
            part._one[t] = self._one[t]
            if t in self._many:
                part._many[t] = self._many[t]
        return part

    def __contains__(self, message_type: object) -> bool:
        return message_type in self._one

    @property
    def types(self) -> list[type[Any]]:
        return list(self._one)

    def batched(self, message_type: type[Any]) -> bool:
        return message_type in self._many

    async def handle(self, message: Any, uow: U) -> Any:
        """Run ``message``'s handler in ``uow`` (the caller commits)."""
        handler = self._one.get(type(message))
        if handler is None:
            raise UnknownMessage(type(message).__name__)
        return await handler(message, uow)

    async def handle_many(
        self, message_type: type[Any], items: Sequence[Received[Any]], uow: U
    ) -> None:
        """Run the batch form for ``items`` (all of ``message_type``), or the one-message form
        for each in order with its envelope as the unit's cause."""
        many = self._many.get(message_type)
        if many is not None:
            await many(items, uow)
            return
        handler = self._one[message_type]
        for item in items:
            uow.cause = item.envelope
            await handler(item.message, uow)
        uow.cause = None
