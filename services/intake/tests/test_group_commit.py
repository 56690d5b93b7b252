"""Single intakes arriving together are submitted in one unit of work (group commit), each
answered as if it had been sent alone: against the real database and broker.

To put requests in one batch for sure, ``in_one_batch`` holds the households table locked
while a first request's batch is in flight; the others queue behind it and go together."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.testing import Servers, assert_problem, free_port

from .conftest import running_intake
from .test_api import with_kk

if TYPE_CHECKING:
    from conftest import IntakeService

pytestmark = pytest.mark.integration

Request = tuple[dict[str, Any], dict[str, str]]  # a body and its headers

#: the household of the request that holds the batch in flight
BLOCKER_KK = "3304010101209999"


def batches() -> tuple[float, float]:
    """Units of work the single intakes took so far, and the intakes they carried."""
    count = REGISTRY.get_sample_value("rujukan_intake_submit_batch_size_count") or 0.0
    total = REGISTRY.get_sample_value("rujukan_intake_submit_batch_size_sum") or 0.0
    return count, total


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the condition never held"
        await asyncio.sleep(0.005)


def post(intake: IntakeService, request: Request) -> Awaitable[httpx.Response]:
    body, headers = request
    return intake.http.post("/v1/intakes", json=body, headers=headers)


async def in_one_batch(
    intake: IntakeService,
    requests: list[Request],
    *,
    while_queued: Callable[[list[asyncio.Task[httpx.Response]]], Awaitable[None]] | None = None,
) -> tuple[httpx.Response, list[asyncio.Task[httpx.Response]]]:
    """Send ``requests`` so that they are all queued, in order, before their batch starts: a
    first request (``BLOCKER_KK``) is held in flight by a lock on the households table until
    they are. Returns the first's answer and the requests' tasks, done."""
    submissions = intake.runtime.deps.submissions
    async with intake.runtime.sessions() as session:
        await session.execute(text("LOCK TABLE households IN SHARE ROW EXCLUSIVE MODE"))
        blocker = asyncio.create_task(post(intake, (with_kk(BLOCKER_KK), intake.token())))
        await until(lambda: submissions.in_flight and submissions.waiting == 0)
        tasks: list[asyncio.Task[httpx.Response]] = []
        for request in requests:  # queued one after the other: the batch keeps their order
            tasks.append(asyncio.create_task(post(intake, request)))
            await until(lambda: submissions.waiting == len(tasks))
        if while_queued is not None:
            await while_queued(tasks)
        await session.rollback()  # the lock goes: the first batch commits, then theirs
    first = await blocker
    await asyncio.wait(tasks)
    return first, tasks


def kk(i: int) -> str:
    return f"33040101012{i:05d}"


async def stored(intake: IntakeService) -> dict[str, tuple[str, str]]:
    """Every intake's id -> (its household's KK hash, its principal)."""
    rows = await intake.rows(
        "SELECT i.id, h.kk_hash, i.principal FROM intakes i JOIN households h "
        "ON h.id = i.household_id"
    )
    return {str(r.id): (r.kk_hash, r.principal) for r in rows}


async def test_concurrent_intakes_of_one_officer_share_one_commit_each_answered_its_own(
    intake: IntakeService,
) -> None:
    before = batches()
    requests = [(with_kk(kk(i)), intake.token()) for i in range(8)]
    first, tasks = await in_one_batch(intake, requests)
    assert first.status_code == 202, first.text
    answers = [t.result() for t in tasks]
    assert all(a.status_code == 202 for a in answers), [a.text for a in answers]
    after = batches()
    assert after[0] - before[0] == 2 and after[1] - before[1] == 9  # 9 intakes, 2 commits

    rows = await stored(intake)
    assert len(rows) == 9 and await intake.count("outbox") == 18  # submitted + contacts each
    ids = [a.json()["intake_id"] for a in answers]
    assert len(set(ids)) == 8
    for i, answer in zip(range(8), answers, strict=True):
        assert rows[answer.json()["intake_id"]][0] == intake.hash(kk(i))
        assert answer.headers["location"] == f"/v1/intakes/{answer.json()['intake_id']}"
        assert answer.json()["duplicate"] is False and answer.json()["visit"] == "first"


async def test_two_officers_at_once_share_a_commit_each_with_their_own_keys(
    intake: IntakeService,
) -> None:
    before = batches()
    requests = [
        (with_kk(kk(i)), {**intake.token(subject=f"op-{i % 2}"), "Idempotency-Key": f"f-{i // 2}"})
        for i in range(6)
    ]
    _first, tasks = await in_one_batch(intake, requests)
    answers = [t.result() for t in tasks]
    assert all(a.status_code == 202 for a in answers), [a.text for a in answers]
    after = batches()
    assert after[0] - before[0] == 2 and after[1] - before[1] == 7  # the first, then 6

    rows = await stored(intake)
    for i, answer in enumerate(answers):  # the same key of two officers is two requests
        assert rows[answer.json()["intake_id"]] == (intake.hash(kk(i)), f"op-{i % 2}")
        assert answer.json()["duplicate"] is False


async def test_each_officer_s_earlier_key_answers_only_that_officer_within_a_batch(
    intake: IntakeService,
) -> None:
    """op-0 used key a and op-1 key b before; a batch then carries op-0's b and op-1's a, each
    with another household: neither is the other's repeat, nor a key reused for another body."""

    def keyed(subject: str, key: str) -> dict[str, str]:
        return {**intake.token(subject=subject), "Idempotency-Key": key}

    earlier = [(with_kk(kk(20)), keyed("op-0", "a")), (with_kk(kk(21)), keyed("op-1", "b"))]
    for request in earlier:
        assert (await post(intake, request)).status_code == 202
    crossed = [(with_kk(kk(22)), keyed("op-0", "b")), (with_kk(kk(23)), keyed("op-1", "a"))]
    _first, tasks = await in_one_batch(intake, crossed)
    answers = [t.result() for t in tasks]
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    assert all(a.json()["duplicate"] is False for a in answers)
    rows = await stored(intake)
    assert rows[answers[0].json()["intake_id"]] == (intake.hash(kk(22)), "op-0")
    assert rows[answers[1].json()["intake_id"]] == (intake.hash(kk(23)), "op-1")
    assert len(rows) == 1 + 2 + 2


def _shape(answers: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The answers with every id named by the first answer that had it: comparable across
    households."""
    names: dict[str, int] = {}

    def name(value: str | None) -> int | None:
        return None if value is None else names.setdefault(value, len(names))

    return [
        (
            name(a["intake_id"]),
            name(a["household_id"]),
            a["duplicate"],
            a["visit"],
            name(a["follow_up_of"]),
            [(name(d["household_id"]), d["members_matched"]) for d in a["possible_duplicate_of"]],
        )
        for a in answers
    ]


def _visits(first_kk: str, other_kk: str, key: str, token: dict[str, str]) -> list[Request]:
    """A household's form twice (the second a repeat), then with a new need (a follow-up);
    another household, whose members are the first's (a probable duplicate), sent twice with
    one Idempotency-Key."""
    form = with_kk(first_kk)
    again = with_kk(first_kk)
    again["consent"] = {**EXAMPLE_INTAKE["consent"], "given_at": "2026-11-24T10:00:00+07:00"}
    more = with_kk(first_kk)
    more["needs"] = [*EXAMPLE_INTAKE["needs"], "housing"]
    keyed = {**token, "Idempotency-Key": key}
    return [
        (form, token),
        (again, token),
        (more, token),
        (with_kk(other_kk), keyed),
        (with_kk(other_kk), keyed),
    ]


def _with_serials(requests: list[Request], base: int) -> list[Request]:
    """The members' NIKs with other serials (their last four digits), shared with no other
    household of the test (the blocker's are the example's)."""
    for body, _headers in requests:
        for n, member in enumerate(body["members"]):
            member["nik"] = f"{member['nik'][:12]}{base + n:04d}"
    return requests


async def test_one_household_twice_in_a_batch_is_answered_as_sequential_requests(
    intake: IntakeService,
) -> None:
    token = intake.token()
    batched = _with_serials(_visits(kk(1), kk(2), "form-a", token), 1000)
    sequential = _with_serials(_visits(kk(3), kk(4), "form-b", token), 2000)

    _first, tasks = await in_one_batch(intake, batched)
    in_batch = [t.result() for t in tasks]
    alone = [await post(intake, r) for r in sequential]
    assert all(a.status_code == 202 for a in in_batch + alone), [a.text for a in in_batch]
    assert _shape([a.json() for a in in_batch]) == _shape([a.json() for a in alone])
    shape = _shape([a.json() for a in alone])
    assert [s[2] for s in shape] == [False, True, False, False, True]  # duplicates
    assert shape[2][4] == shape[0][0]  # the new need follows the first visit up
    assert shape[3][5] == [(shape[0][1], 4)] and shape[0][5] == []  # only the later is flagged
    assert await intake.count("intakes") == 1 + 3 + 3


async def test_a_refused_item_fails_alone_and_a_cancelled_one_is_dropped(
    intake: IntakeService,
) -> None:
    token = intake.token(regions=["33.04.01"])
    elsewhere = with_kk(kk(2))
    elsewhere["household"]["village_code"] = "33.04.02.2001"  # outside the officer's regions
    invalid = with_kk(kk(3))
    invalid["members"][0]["nik"] = "123"
    requests = [(with_kk(kk(i)), token) for i in (1, 4, 5)]
    requests += [(elsewhere, token), (invalid, token)]

    async def cancel_one(tasks: list[asyncio.Task[httpx.Response]]) -> None:
        tasks[2].cancel()  # kk(5)'s client goes away while it waits

    _first, tasks = await in_one_batch(intake, requests, while_queued=cancel_one)
    assert tasks[0].result().status_code == tasks[1].result().status_code == 202
    assert tasks[2].cancelled()
    problem = assert_problem(tasks[3].result(), 403)
    assert problem["detail"] == "desa ini di luar wilayah tugas Anda"
    assert_problem(tasks[4].result(), 422)
    kept = {kk_hash for kk_hash, _ in (await stored(intake)).values()}
    assert kept == {intake.hash(k) for k in (BLOCKER_KK, kk(1), kk(4))}


async def test_a_registry_away_is_a_503_for_every_request_of_the_batch(
    servers: Servers, fresh_database: str, catalogue_topics: None
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with running_intake(
        servers,
        fresh_database,
        registry_adapter="dci",
        registry_url=nowhere,
        registry_timeout_seconds=1,
    ) as intake:
        before = batches()
        requests = [(with_kk(kk(i)), intake.token()) for i in range(4)]
        first, tasks = await in_one_batch(intake, requests)
        for answer in [first, *(t.result() for t in tasks)]:
            assert_problem(answer, 503)
            assert answer.headers["retry-after"] == "5"
        after = batches()
        assert after[0] - before[0] == 2  # weather: not tried again one by one
        assert await intake.count("intakes") == 0 and await intake.count("outbox") == 0


async def test_with_group_commit_off_each_intake_is_its_own_commit(
    servers: Servers, fresh_database: str, catalogue_topics: None
) -> None:
    async with running_intake(servers, fresh_database, submit_batch_max=1) as intake:
        before = batches()
        answers = await asyncio.gather(
            *(post(intake, (with_kk(kk(i)), intake.token())) for i in range(5))
        )
        assert all(a.status_code == 202 for a in answers)
        after = batches()
        assert after[0] - before[0] == 5 and after[1] - before[1] == 5
        ids = {UUID(a.json()["intake_id"]) for a in answers}
        assert len(ids) == 5 and await intake.count("intakes") == 5


async def test_stopping_the_process_answers_the_requests_still_queued(
    intake: IntakeService,
) -> None:
    stopping: list[asyncio.Task[None]] = []

    async def stop_meanwhile(_tasks: list[asyncio.Task[httpx.Response]]) -> None:
        stopping.append(asyncio.create_task(intake.runtime.stop()))
        await asyncio.sleep(0.5)
        assert not stopping[0].done()  # the shutdown waits for the queue

    requests = [(with_kk(kk(i)), intake.token()) for i in (1, 2)]
    first, tasks = await in_one_batch(intake, requests, while_queued=stop_meanwhile)
    await stopping[0]
    answers = [first, *(t.result() for t in tasks)]
    assert all(a.status_code == 202 for a in answers), [a.text for a in answers]
    submissions = intake.runtime.deps.submissions
    assert not submissions.in_flight and submissions.waiting == 0
    assert len(await stored(intake)) == 3
