"""Group commit's own logic, pure: how batches are cut, what a failure does, whose context a
batch runs in and what a caller that has gone does. (Its users against the real database:
intake's test_group_commit, notifications' test_send_rate.)"""

from __future__ import annotations

import asyncio
import contextvars
import itertools

import pytest

from rujukan_platform.group_commit import GroupCommit

CALLER: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="nobody")


class Commits:
    """A stand-in unit of work: records each batch; the item ``-1`` breaks its whole batch,
    ``failure`` is what every batch raises; answers each item doubled."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.batches: list[list[int]] = []
        self.callers: list[str] = []
        self.failure = failure
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        self.callers.append(CALLER.get())
        await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        if -1 in items:
            raise ValueError("a constraint this item breaks")
        return [2 * i for i in items]


async def submit_all(group: GroupCommit[int, int], items: list[int]) -> list[object]:
    return await asyncio.gather(*(group.submit(i) for i in items), return_exceptions=True)


async def test_a_lone_caller_goes_at_once_and_what_queues_meanwhile_goes_together() -> None:
    commits = Commits()
    sizes: list[int] = []
    group = GroupCommit(commits, max_batch=100, name="t", observe=sizes.append)
    assert await group.submit(7) == 14 and commits.batches == [[7]]
    results = await submit_all(group, list(range(250)))
    assert results == [2 * i for i in range(250)]  # each its own answer, in order
    assert [len(b) for b in commits.batches[1:]] == [100, 100, 50] == sizes[1:]
    assert not group.in_flight and group.waiting == 0


async def test_an_item_that_breaks_its_batch_is_tried_alone_and_fails_alone() -> None:
    commits = Commits()
    results = await submit_all(GroupCommit(commits, max_batch=10, name="t"), [1, -1, 3])
    assert commits.batches == [[1, -1, 3], [1], [-1], [3]]
    assert results[0] == 2 and results[2] == 6 and isinstance(results[1], ValueError)


@pytest.mark.parametrize("weather", [TimeoutError("pool exhausted"), ConnectionResetError()])
async def test_weather_fails_every_caller_of_the_batch_at_once(weather: Exception) -> None:
    commits = Commits(failure=weather)
    commits.gate.clear()
    group = GroupCommit(commits, max_batch=10, name="t")
    first = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0)
    rest = asyncio.gather(*(group.submit(i) for i in (2, 3, 4)), return_exceptions=True)
    await asyncio.sleep(0)
    commits.gate.set()
    assert await asyncio.gather(first, return_exceptions=True) == [weather]
    assert await rest == [weather] * 3
    assert commits.batches == [[1], [2, 3, 4]]  # not once more each: each would fail the same


async def test_a_caller_that_has_gone_is_dropped_and_its_batch_still_commits() -> None:
    commits = Commits()
    commits.gate.clear()
    group = GroupCommit(commits, max_batch=10, name="t")
    first = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0)  # its batch is in flight, held at the gate
    gone = asyncio.create_task(group.submit(2))
    stays = asyncio.create_task(group.submit(3))
    await asyncio.sleep(0)
    gone.cancel()
    commits.gate.set()
    assert await first == 2 and await stays == 6
    assert commits.batches == [[1], [3]]  # the cancelled one never went in


async def test_a_batch_runs_in_its_first_callers_context() -> None:
    commits = Commits()
    commits.gate.clear()
    group = GroupCommit(commits, max_batch=10, name="t")

    async def as_caller(name: str, item: int) -> int:
        CALLER.set(name)
        return await group.submit(item)

    first = asyncio.create_task(as_caller("alice", 1))
    await asyncio.sleep(0)
    later = [asyncio.create_task(as_caller(n, i)) for n, i in (("bob", 2), ("carol", 3))]
    await asyncio.sleep(0)
    commits.gate.set()
    await asyncio.gather(first, *later)
    assert commits.callers == ["alice", "bob"]


async def test_answers_out_of_step_with_the_callers_fail_them_all_and_nobody_waits() -> None:
    async def short(items: list[int]) -> list[int]:
        return items[1:]

    group = GroupCommit(short, max_batch=10, name="t")
    results = await asyncio.wait_for(submit_all(group, [1, 2]), timeout=5)
    assert all(isinstance(r, RuntimeError) for r in results), results
    assert not group.in_flight


async def test_drain_waits_for_the_callers_already_queued() -> None:
    commits = Commits()
    group = GroupCommit(commits, max_batch=10, name="t")
    callers = [asyncio.create_task(group.submit(i)) for i in range(3)]
    await asyncio.sleep(0)
    await group.drain()
    assert all(c.done() for c in callers) and not group.in_flight


async def test_callers_coming_steadily_but_apart_are_gathered_when_lingering_pays() -> None:
    """Callers 20 ms apart, each commit done before the next comes: without ``linger`` each
    goes alone; with it (the gaps shorter than 200 ms, even on a loaded machine) a batch waits
    two gaps and they go a few at a time (a wait that brings no one, as a loaded machine's
    jitter may make one, stops the waits for a second: hence no exact count). A quiet process's
    caller, or callers farther apart than ``linger``, never wait."""

    async def steady(group: GroupCommit[int, int], count: int, gap: float) -> list[object]:
        tasks = []
        for i in range(count):
            tasks.append(asyncio.create_task(group.submit(i)))
            await asyncio.sleep(gap)
        return list(await asyncio.gather(*tasks))

    alone = Commits()
    assert await steady(GroupCommit(alone, max_batch=100, name="t"), 12, 0.02) == [
        2 * i for i in range(12)
    ]
    assert all(len(b) == 1 for b in alone.batches)

    gathered = Commits()
    lingering = GroupCommit(gathered, max_batch=100, name="t", linger=0.2)
    assert await steady(lingering, 12, 0.02) == [2 * i for i in range(12)]
    assert len(gathered.batches) <= 8
    assert sorted(itertools.chain(*gathered.batches)) == list(range(12))
    assert lingering.gap is not None and lingering.gap < 0.2

    assert lingering.lingered >= 1

    apart = Commits()
    sparse = GroupCommit(apart, max_batch=100, name="t", linger=0.02)
    await steady(sparse, 4, 0.08)  # farther apart than linger: each at once, alone
    assert [len(b) for b in apart.batches] == [1, 1, 1, 1] and sparse.lingered == 0
    quiet = GroupCommit(Commits(), max_batch=100, name="t", linger=0.5)
    assert await quiet.submit(3) == 6
    assert quiet.lingered == 0  # the first caller of a quiet process: no wait


async def test_a_client_that_waits_for_each_answer_is_not_kept_waiting() -> None:
    """One client sending its next request only once answered (commits of 20 ms, so its gaps
    are shorter than ``linger``): the first wait brings no one, and the next batches start at
    once (for a second: the ten calls take a fifth of one)."""

    class Slow(Commits):
        async def __call__(self, items: list[int]) -> list[int]:
            await asyncio.sleep(0.02)
            return await super().__call__(items)

    commits = Slow()
    group = GroupCommit(commits, max_batch=100, name="t", linger=1.0)
    for i in range(10):
        assert await group.submit(i) == 2 * i
    assert commits.batches == [[i] for i in range(10)]
    assert group.lingered == group.lingered_in_vain == 1
