"""``IdlePoll``: a loop looking for work looks less often the longer it finds none, at once
when woken, and never loses a wake that came while it was looking."""

from __future__ import annotations

import asyncio

from rujukan_platform.polling import IdlePoll


def test_each_empty_look_doubles_the_wait_up_to_the_most_and_work_resets_it() -> None:
    poll = IdlePoll(0.05, 0.5)
    waits = []
    for _ in range(6):
        poll.found(False)
        waits.append(poll.interval)
    assert waits == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    poll.found(True)
    assert poll.interval == 0.05


def test_without_a_most_the_wait_stays_the_base() -> None:
    poll = IdlePoll(0.1)
    poll.found(False)
    assert poll.interval == poll.most == 0.1


async def test_a_wake_given_while_looking_ends_the_next_wait_at_once() -> None:
    poll = IdlePoll(3600.0)
    poll.wake()  # a commit while the loop was busy looking
    assert await asyncio.wait_for(poll.wait(), 5) is True
    assert await poll.wait(0.01) is False  # used up: the wait after it times out


async def test_a_wake_ends_a_wait_in_progress() -> None:
    poll = IdlePoll(3600.0)
    waiting = asyncio.create_task(poll.wait())
    await asyncio.sleep(0)
    poll.wake()
    assert await asyncio.wait_for(waiting, 5) is True
