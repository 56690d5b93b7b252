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
The queueing, the batches and what a failure does are ``rujukan_platform.group_commit``'s: a
failure of the whole unit of work reaches every request of the batch, except one that is not
weather (a bug, a constraint one item breaks), when the batch is submitted again one by one; a
request whose client has gone is dropped if still queued and never breaks its batch. What is
intake's is the command a batch makes and what counts as weather: the registry away too.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from rujukan_intake import metrics
from rujukan_intake.adapters.registry import RegistryUnavailable
from rujukan_intake.domain.commands import IntakeItem, SubmitIntakes, Submitted
from rujukan_platform.failures import is_transient
from rujukan_platform.group_commit import GroupCommit

#: submits a command in a unit of work of its own (``Runtime.handle``), with a traceparent
Submit = Callable[[SubmitIntakes, str | None], Coroutine[Any, Any, list[Submitted]]]


class SubmissionCoalescer:
    """Submits concurrent single intakes together; ``max_batch`` 1 submits each alone."""

    def __init__(self, submit: Submit, max_batch: int = 100, linger: float = 0.0) -> None:
        self._submit = submit
        self.max_batch = max_batch
        self._group: GroupCommit[tuple[IntakeItem, str | None], Submitted] = GroupCommit(
            self._submit_batch,
            max_batch=max_batch,
            name="intake-submissions",
            fails_every_item=_fails_every_item,
            observe=metrics.SUBMIT_BATCH.observe,
            linger=linger,
        )

    @property
    def waiting(self) -> int:
        """Requests queued for the next batch."""
        return self._group.waiting

    @property
    def in_flight(self) -> bool:
        return self._group.in_flight

    async def submit(self, item: IntakeItem, *, traceparent: str | None = None) -> Submitted:
        """What became of ``item``, once its unit of work has committed."""
        if self.max_batch <= 1:
            metrics.SUBMIT_BATCH.observe(1)
            (result,) = await self._submit(SubmitIntakes([item]), traceparent)
            return result
        return await self._group.submit((item, traceparent))

    async def drain(self) -> None:
        """Wait until every queued request is answered (the runtime's shutdown)."""
        await self._group.drain()

    async def _submit_batch(self, batch: list[tuple[IntakeItem, str | None]]) -> list[Submitted]:
        """One command for the batch, in the trace of its first request."""
        return await self._submit(SubmitIntakes([item for item, _ in batch]), batch[0][1])


def _fails_every_item(exc: Exception) -> bool:
    """Weather (the database, the broker, the registry away): each item alone would fail the
    same way, so the batch is not tried again one by one."""
    return isinstance(exc, RegistryUnavailable) or is_transient(exc)
