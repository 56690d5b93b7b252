"""The coalescer's own logic, pure: how it cuts batches and what a failure of one does.
(Against the real database and broker: test_group_commit.)"""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from rujukan_intake.adapters.registry import RegistryUnavailable
from rujukan_intake.domain.commands import IntakeItem, SubmitIntakes, Submitted
from rujukan_intake.domain.intake import EXAMPLE_INTAKE, IntakeCreate
from rujukan_intake.service_layer.coalescing import SubmissionCoalescer
from rujukan_platform.auth import Principal

FORM = IntakeCreate.model_validate(EXAMPLE_INTAKE)
OFFICER = Principal(subject="op", role="operator", regions=["33.04"])


class Submissions:
    """A stand-in for ``Runtime.handle``: records each command's size; an item keyed
    ``poison`` breaks its whole command, ``failure`` is what every command raises."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.sizes: list[int] = []
        self.failure = failure

    async def __call__(self, command: SubmitIntakes, _traceparent: str | None) -> list[Submitted]:
        self.sizes.append(len(command.items))
        await asyncio.sleep(0)  # a unit of work takes a while
        if self.failure is not None:
            raise self.failure
        if any(item.idempotency_key == "poison" for item in command.items):
            raise ValueError("a constraint this item breaks")
        return [Submitted(intake_id=uuid4()) for _ in command.items]


async def submit_all(coalescer: SubmissionCoalescer, keys: list[str]) -> list[object]:
    return await asyncio.gather(
        *(coalescer.submit(IntakeItem(FORM, OFFICER, key)) for key in keys),
        return_exceptions=True,
    )


async def test_what_queues_meanwhile_goes_together_up_to_the_maximum() -> None:
    submit = Submissions()
    results = await submit_all(SubmissionCoalescer(submit, max_batch=100), [""] * 250)
    assert submit.sizes == [100, 100, 50]
    assert len({r.intake_id for r in results if isinstance(r, Submitted)}) == 250


async def test_an_item_that_breaks_its_batch_is_tried_alone_and_fails_alone() -> None:
    submit = Submissions()
    results = await submit_all(SubmissionCoalescer(submit), ["a", "poison", "b"])
    assert submit.sizes == [3, 1, 1, 1]
    assert isinstance(results[1], ValueError)
    assert all(isinstance(results[i], Submitted) for i in (0, 2))


@pytest.mark.parametrize(
    "weather", [RegistryUnavailable("registry away"), TimeoutError("pool exhausted")]
)
async def test_weather_fails_every_request_of_the_batch_at_once(weather: Exception) -> None:
    submit = Submissions(failure=weather)
    results = await submit_all(SubmissionCoalescer(submit), ["a", "b", "c"])
    assert submit.sizes == [3]  # not once more for each: each alone would fail the same way
    assert all(r is weather for r in results)


async def test_drain_waits_for_the_requests_already_queued() -> None:
    submit = Submissions()
    coalescer = SubmissionCoalescer(submit)
    requests = [asyncio.create_task(coalescer.submit(IntakeItem(FORM, OFFICER))) for _ in range(3)]
    await asyncio.sleep(0)  # they are queued, their batch not yet done
    await coalescer.drain()
    assert all(r.done() for r in requests) and not coalescer.in_flight


async def test_a_batch_answered_short_fails_its_requests_instead_of_leaving_them_waiting() -> None:
    """A handler that answers fewer items than it was given (a bug) fails every request of the
    batch, none answered with another's result, none left waiting, the coalescer idle again."""

    async def short(command: SubmitIntakes, _traceparent: str | None) -> list[Submitted]:
        await asyncio.sleep(0)
        return [Submitted(intake_id=uuid4()) for _ in command.items[1:]]

    coalescer = SubmissionCoalescer(short, max_batch=100)
    results = await asyncio.wait_for(submit_all(coalescer, ["a", "b"]), timeout=5)
    assert all(isinstance(r, RuntimeError) for r in results), results
    assert not coalescer.in_flight
