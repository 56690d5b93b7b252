"""Group commit: work that arrives together shares one unit of work.

A unit of work costs about the same for one row as for a hundred, so callers that arrive while a
batch is committing wait for the next one and go in together: a quiet process adds no wait (a
lone caller's batch starts at once), a busy one commits many at a time. Intake's single intakes
and the dispatcher's send results both go through it.

Between the two, callers that come steadily but each after the last one's commit (200 single
intakes a second, each committed in a few milliseconds) would each pay a unit of work alone.
With ``linger``, a batch about to start waits for company while callers have been arriving
closer together than ``linger`` (a moving average of the gaps): two gaps, at most ``linger``.
A wait that brought no one (a client that sends its next request only once answered) is not
tried again for a second, so such a client is not slowed; a quiet process's lone caller still
starts at once.

Each caller gets its own answer, as if it had come alone:
- A failure of the whole batch reaches every caller in it. The exception is a failure that is
  not weather (a bug, a constraint one item breaks): the batch then runs again one item at a
  time, so one item never fails the others. Weather is the database, the broker or a
  dependency being away; ``fails_every_item`` tells it, and each item alone would fail the same
  way.
- A caller that has gone (cancelled) while queued is dropped, and never breaks its batch.
- A batch runs in the context of its first caller: its spans and log fields.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rujukan_platform.failures import is_transient

I = TypeVar("I")  # noqa: E741 - an item, as R is a result
#: after a wait for company that brought no one, batches start at once for this long (seconds)
LINGER_BACKOFF = 1.0
R = TypeVar("R")


@dataclass(slots=True)
class _Waiting(Generic[I, R]):
    item: I
    answer: asyncio.Future[R]
    context: contextvars.Context


class GroupCommit(Generic[I, R]):
    """Runs ``commit`` over what callers ``submit`` meanwhile, up to ``max_batch`` at a time."""

    def __init__(
        self,
        commit: Callable[[list[I]], Awaitable[Sequence[R]]],
        *,
        max_batch: int,
        name: str,
        fails_every_item: Callable[[Exception], bool] = is_transient,
        observe: Callable[[int], None] | None = None,
        linger: float = 0.0,
    ) -> None:
        """``commit`` handles a batch in one unit of work and answers each item, in order;
        ``observe`` hears each batch's size (a histogram's ``observe``); ``linger`` (seconds)
        is the most a batch waits for company while callers come that often (0: never)."""
        self._commit = commit
        self.max_batch = max(1, max_batch)
        self._name = name
        self._fails_every_item = fails_every_item
        self._observe = observe
        self.linger = max(0.0, linger)
        self._queue: deque[_Waiting[I, R]] = deque()
        self._in_flight: asyncio.Task[None] | None = None
        self._last_arrival: float | None = None
        #: moving average of the time between callers' arrivals (None: fewer than two so far)
        self.gap: float | None = None
        self._no_linger_until = 0.0
        #: batches that waited for company, and of those, waits that brought no one
        self.lingered = 0
        self.lingered_in_vain = 0

    @property
    def waiting(self) -> int:
        """Callers queued for the next batch."""
        return len(self._queue)

    @property
    def in_flight(self) -> bool:
        return self._in_flight is not None

    async def submit(self, item: I) -> R:
        """What became of ``item``, once the batch it went in has committed."""
        loop = asyncio.get_running_loop()
        if self.linger:
            self._arrived(loop.time())
        answer: asyncio.Future[R] = loop.create_future()
        self._queue.append(_Waiting(item, answer, contextvars.copy_context()))
        if self._in_flight is None:
            # its own context: the loop is no one caller's; each batch runs in its first
            # caller's (``_commit_batch``)
            self._in_flight = asyncio.create_task(
                self._run(), name=self._name, context=contextvars.Context()
            )
        return await answer

    async def drain(self) -> None:
        """Wait until every queued caller is answered (a shutdown)."""
        while self._in_flight is not None:
            await asyncio.shield(self._in_flight)

    def _arrived(self, now: float) -> None:
        if self._last_arrival is not None:
            gap = now - self._last_arrival
            self.gap = gap if self.gap is None else 0.75 * self.gap + 0.25 * gap
        self._last_arrival = now

    def _linger_for(self, now: float) -> float:
        """How long the next batch waits for company: two gaps while callers come closer
        together than ``linger``, unless a recent wait brought no one (0: it starts now)."""
        if (
            self.gap is None
            or self.gap >= self.linger
            or now < self._no_linger_until
            or len(self._queue) >= self.max_batch
        ):
            return 0.0
        return min(self.linger, 2 * self.gap)

    async def _linger(self) -> None:
        loop = asyncio.get_running_loop()
        if wait := self._linger_for(loop.time()):
            self.lingered += 1
            queued = len(self._queue)
            await asyncio.sleep(wait)
            if len(self._queue) <= queued:
                self.lingered_in_vain += 1
                self._no_linger_until = loop.time() + LINGER_BACKOFF

    async def _run(self) -> None:
        try:
            while self._queue:
                if self.linger:
                    await self._linger()
                if batch := self._take():
                    try:
                        await self._commit_batch(batch)
                    except Exception as exc:  # a bug of ours: no caller may wait for ever
                        _answer_all(batch, exc)
        finally:
            self._in_flight = None

    def _take(self) -> list[_Waiting[I, R]]:
        """The next batch: up to ``max_batch`` queued callers that still wait."""
        batch: list[_Waiting[I, R]] = []
        while self._queue and len(batch) < self.max_batch:
            waiting = self._queue.popleft()
            if not waiting.answer.done():  # done here: cancelled, the caller has gone
                batch.append(waiting)
        return batch

    async def _commit_batch(self, batch: list[_Waiting[I, R]]) -> None:
        if self._observe is not None:
            self._observe(len(batch))
        try:
            results = await asyncio.create_task(
                _awaited(self._commit([w.item for w in batch])), context=batch[0].context.copy()
            )
        except Exception as exc:
            if len(batch) > 1 and not self._fails_every_item(exc):
                for waiting in batch:  # nothing was committed: each alone, as if it came alone
                    await self._commit_batch([waiting])
                return
            _answer_all(batch, exc)
            return
        if len(results) != len(batch):  # answers out of step with callers: none is trusted
            raise RuntimeError(f"{self._name}: {len(results)} answers for {len(batch)} items")
        for waiting, result in zip(batch, results, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(result)


async def _awaited(work: Awaitable[Sequence[R]]) -> Sequence[R]:
    return await work


def _answer_all(batch: Sequence[_Waiting[I, R]], exc: Exception) -> None:
    for waiting in batch:
        if not waiting.answer.done():
            waiting.answer.set_exception(exc)
