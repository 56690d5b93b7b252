"""Group commit for single intakes: concurrent ``POST /v1/intakes`` of one process share a unit
of work.

A single intake alone pays a whole unit of work (some eight statements and a commit) for one
row; ``submit_intakes`` handles a batch as a set for about the same. So a request puts its item
in a queue and waits: when no batch is in flight one starts at once with everything queued (up
to ``max_batch``), and requests arriving meanwhile wait for the next. A quiet process adds no
wait; a busy one commits many intakes at a time.

A batch is one ``SubmitIntakes`` whatever its callers: each item carries its principal (its
region check, its Idempotency-Key's scope, its recorded submitter), so the officers of a district
sending one intake each share a commit as one app's concurrent requests do.

Each request gets what it would have got alone: ``submit_intakes`` answers items of one batch
in order, as sequential requests (a repeated key or form is a duplicate, new needs a follow-up).
A failure of the whole unit of work reaches every request of the batch, except one that is not
weather (a bug, a constraint one item breaks): the batch is then submitted again one by one, so
one item never fails the others. A request whose client has gone is dropped if still queued and
never breaks its batch.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from rujukan_intake import metrics
from rujukan_intake.adapters.registry import RegistryUnavailable
from rujukan_intake.domain.commands import IntakeItem, SubmitIntakes, Submitted
from rujukan_platform.failures import is_transient

#: submits a command in a unit of work of its own (``Runtime.handle``), with a traceparent
Submit = Callable[[SubmitIntakes, str | None], Coroutine[Any, Any, list[Submitted]]]


@dataclass(slots=True)
class _Waiting:
    item: IntakeItem
    traceparent: str | None
    answer: asyncio.Future[Submitted]
    #: the request's context (its span, its log context): a batch runs in its first request's
    context: contextvars.Context


class SubmissionCoalescer:
    """Submits concurrent single intakes together; ``max_batch`` 1 submits each alone."""

    def __init__(self, submit: Submit, max_batch: int = 100) -> None:
        self._submit = submit
        self.max_batch = max_batch
        self._queue: deque[_Waiting] = deque()
        self._in_flight: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """Requests queued for the next batch."""
        return len(self._queue)

    @property
    def in_flight(self) -> bool:
        return self._in_flight is not None

    async def submit(self, item: IntakeItem, *, traceparent: str | None = None) -> Submitted:
        """What became of ``item``, once its unit of work has committed."""
        if self.max_batch <= 1:
            metrics.SUBMIT_BATCH.observe(1)
            (result,) = await self._submit(SubmitIntakes([item]), traceparent)
            return result
        answer: asyncio.Future[Submitted] = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(item, traceparent, answer, contextvars.copy_context()))
        if self._in_flight is None:
            # its own context: the loop is no one request's; each batch runs in its first
            # request's (``_submit_batch``), so its statements are that request's spans' children
            self._in_flight = asyncio.create_task(
                self._run(), name="intake-submissions", context=contextvars.Context()
            )
        return await answer

    async def drain(self) -> None:
        """Wait until every queued request is answered (the runtime's shutdown)."""
        while self._in_flight is not None:
            await asyncio.shield(self._in_flight)

    async def _run(self) -> None:
        try:
            while self._queue:
                if batch := self._take():
                    try:
                        await self._submit_batch(batch)
                    except Exception as exc:  # a bug of ours: no request may wait for ever
                        for waiting in batch:
                            if not waiting.answer.done():
                                waiting.answer.set_exception(exc)
        finally:
            self._in_flight = None

    def _take(self) -> list[_Waiting]:
        """The next batch: up to ``max_batch`` queued requests whose client still waits."""
        batch: list[_Waiting] = []
        while self._queue and len(batch) < self.max_batch:
            waiting = self._queue.popleft()
            if not waiting.answer.done():  # done here: cancelled, the client has gone
                batch.append(waiting)
        return batch

    async def _submit_batch(self, batch: list[_Waiting]) -> None:
        metrics.SUBMIT_BATCH.observe(len(batch))
        command = SubmitIntakes([w.item for w in batch])
        try:
            results = await asyncio.create_task(
                self._submit(command, batch[0].traceparent), context=batch[0].context.copy()
            )
        except Exception as exc:
            if len(batch) > 1 and not _fails_every_item(exc):
                for waiting in batch:  # nothing was stored: each alone, as if sent alone
                    await self._submit_batch([waiting])
                return
            for waiting in batch:
                if not waiting.answer.done():
                    waiting.answer.set_exception(exc)
            return
        if len(results) != len(batch):  # answers out of step with requests: none is trusted
            raise RuntimeError(f"{len(results)} answers for {len(batch)} submitted intakes")
        for waiting, result in zip(batch, results, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(result)


def _fails_every_item(exc: Exception) -> bool:
    """Weather (the database, the broker, the registry away): each item alone would fail the
    same way, so the batch is not tried again one by one."""
    return isinstance(exc, RegistryUnavailable) or is_transient(exc)
