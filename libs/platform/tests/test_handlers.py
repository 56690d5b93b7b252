"""The handler table's batch-only types: a message handled alone is a batch of one (pure logic:
the table only reads the unit of work's cause, so a stand-in serves)."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from rujukan_contracts.envelope import EventMeta
from rujukan_platform.handlers import Handlers, Received
from rujukan_platform.uow import Envelope


def envelope(offset: int) -> Envelope:
    return Envelope(EventMeta(type="t", source="/test", subject="s"), "topic", 0, offset, b"")


async def test_a_batch_only_type_handles_one_message_as_a_batch_of_one_with_its_cause() -> None:
    seen: list[list[tuple[str, int]]] = []

    async def many(received: Sequence[Received[str]], uow: Any) -> None:
        seen.append([(r.message, r.envelope.offset) for r in received])

    table: Handlers[Any] = Handlers[Any]().on_batches(str, many)
    assert table.batched(str)
    await table.handle("one", SimpleNamespace(cause=envelope(7)))
    batch = [Received("a", envelope(1)), Received("b", envelope(2))]
    await table.handle_many(str, batch, SimpleNamespace(cause=None))
    assert seen == [[("one", 7)], [("a", 1), ("b", 2)]]
    with pytest.raises(ValueError, match="consumed event"):
        await table.handle("alone", SimpleNamespace(cause=None))
