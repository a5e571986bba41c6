"""wait_for_done, as_completed and wait_for_many: callbacks, terminal states, timeouts, faults.

Against the engine: tasks stay ``processing`` under the manual lifecycle until a test (or
its callback, at the poll it chooses) completes or fails them. The fake platform remains
for tasks that turn ready after an exact number of polls (to count the poller's rounds)."""

from __future__ import annotations

import asyncio
import logging

import pytest

import twelvelabs_embed as tl
from tests.client.conftest import make_client
from tests.engine_double import EngineDouble, until
from tests.fakeplatform import FakePlatform

URL = "https://example.com/v.mp4"


@pytest.fixture
def client(engine_client: tl.AsyncTwelveLabs) -> tl.AsyncTwelveLabs:
    """In this module ``client`` talks to the engine."""
    return engine_client


async def _task(client: tl.AsyncTwelveLabs) -> str:
    created = await client.embed.tasks.create("marengo3.0", video_url=URL)
    assert created.id
    return created.id


def complete_at_poll(double: EngineDouble, task_id: str, poll: int) -> object:
    """A callback that completes ``task_id`` when it sees poll number ``poll`` (a plain
    callback, so it blocks its caller until the engine has done the work)."""
    seen: list[str | None] = []

    def callback(status: tl.TasksStatusResponse) -> None:
        seen.append(status.status)
        if len(seen) == poll:
            assert double.blocking.tasks.complete(task_id) == "ready"

    callback.seen = seen  # type: ignore[attr-defined]
    return callback


async def test_sync_callback_sees_every_poll_including_the_first(
    double: EngineDouble, client: tl.AsyncTwelveLabs, clip: bytes
) -> None:
    task_id = await double.processing_task(clip)
    callback = complete_at_poll(double, task_id, 2)
    final = await client.embed.tasks.wait_for_done(
        task_id,
        sleep_interval=0.05,
        callback=callback,  # type: ignore[arg-type]
    )
    assert final.status == "ready" and final.id == task_id
    assert callback.seen == ["processing", "processing", "ready"]  # type: ignore[attr-defined]
    assert await double.count("task_status") == 3


async def test_async_callback_is_awaited(
    double: EngineDouble, client: tl.AsyncTwelveLabs, clip: bytes
) -> None:
    task_id = await double.processing_task(clip)
    seen: list[str | None] = []

    async def callback(status: tl.TasksStatusResponse) -> None:
        seen.append(status.status)
        if len(seen) == 1:
            assert await double.control.tasks.complete(task_id) == "ready"

    await client.embed.tasks.wait_for_done(task_id, sleep_interval=0.05, callback=callback)
    assert seen == ["processing", "ready"]


async def test_already_finished_task_reports_once(
    double: EngineDouble, client: tl.AsyncTwelveLabs, clip: bytes
) -> None:
    task_id = await double.processing_task(clip)
    assert await double.control.tasks.complete(task_id) == "ready"
    seen = []
    await client.embed.tasks.wait_for_done(task_id, callback=seen.append)
    assert len(seen) == 1 and await double.count("task_status") == 1


async def test_failed_is_returned_not_raised(
    double: EngineDouble, client: tl.AsyncTwelveLabs
) -> None:
    task_id = await double.processing_task()
    await double.control.tasks.fail(task_id, message="decode error")
    final = await client.embed.tasks.wait_for_done(task_id, sleep_interval=0.05)
    assert final.status == "failed" and final.done
    assert final.error is not None and final.error.message == "decode error"


async def test_timeout_raises_with_the_last_status(
    double: EngineDouble, client: tl.AsyncTwelveLabs
) -> None:
    task_id = await double.processing_task()
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(tl.WaitTimeoutError) as info:
        await client.embed.tasks.wait_for_done(task_id, sleep_interval=0.1, timeout=0.35)
    assert loop.time() - start >= 0.3, "it waited for the timeout"
    # ... and no longer: polls at 0, 0.1, 0.2, 0.3 and at most one at 0.35. A loaded
    # machine only stretches the sleeps, so it can only see fewer polls.
    assert 1 <= await double.count("task_status") <= 5
    assert info.value.task_id == task_id
    assert info.value.last_status is not None and info.value.last_status.status == "processing"
    assert isinstance(info.value, TimeoutError)


async def test_timeout_also_bounds_a_hanging_poll(double: EngineDouble) -> None:
    task_id = await double.processing_task()
    # the poll would be answered after 5 s, long after the wait's 0.3 s
    await double.control.faults.add("task_status", latency_ms=5000, count=1)
    async with make_client(double, timeout=30) as client:
        with pytest.raises(tl.WaitTimeoutError) as info:
            await client.embed.tasks.wait_for_done(task_id, sleep_interval=0.1, timeout=0.3)
    assert info.value.last_status is None, "the hanging poll was cut, not awaited"


async def test_transient_errors_keep_polling(
    double: EngineDouble, caplog: pytest.LogCaptureFixture, clip: bytes
) -> None:
    task_id = await double.processing_task(clip)
    await double.control.faults.add("task_status", status=503, body={"message": "busy"}, count=1)
    await double.control.faults.add("task_status", drop_connection=True, count=1)
    callback = complete_at_poll(double, task_id, 1)
    async with make_client(double, max_retries=0) as client:
        with caplog.at_level(logging.WARNING, logger="twelvelabs_embed"):
            final = await client.embed.tasks.wait_for_done(
                task_id,
                sleep_interval=0.05,
                callback=callback,  # type: ignore[arg-type]
            )
    assert final.status == "ready"
    assert callback.seen == ["processing", "ready"], "failed polls do not reach the callback"  # type: ignore[attr-defined]
    polls = await double.requests("task_status")
    assert [(p.status, p.dropped) for p in polls] == [
        (503, False),
        (0, True),
        (200, False),
        (200, False),
    ]
    assert "will poll again" in caplog.text


async def test_permanent_errors_raise(double: EngineDouble, client: tl.AsyncTwelveLabs) -> None:
    with pytest.raises(tl.NotFoundError):
        await client.embed.tasks.wait_for_done("0" * 24, sleep_interval=0.05)


@pytest.mark.parametrize("interval", [0, -1.0])
async def test_sleep_interval_must_be_positive(client: tl.AsyncTwelveLabs, interval: float) -> None:
    with pytest.raises(ValueError, match="sleep_interval"):
        await client.embed.tasks.wait_for_done("t", sleep_interval=interval)


async def test_as_completed_polls_many_in_one_loop(fake: FakePlatform) -> None:
    """On the fake: tasks that turn ready after exactly 5-i polls count the rounds."""
    async with make_client(fake) as client:
        ids = [await _task(client) for _ in range(5)]
        for i, task_id in enumerate(ids):
            fake.tasks[task_id].polls_until_ready = 5 - i  # the last created finishes first
        order = [
            s.id
            async for s in client.embed.tasks.as_completed(ids, sleep_interval=0.02, concurrency=2)
        ]
    assert order == list(reversed(ids))
    # one loop: round r polls every unfinished task once, so 5+4+3+2+1 polls in all
    assert fake.count("GET", "status") == 15


async def test_wait_for_many_keeps_input_order(
    double: EngineDouble, client: tl.AsyncTwelveLabs, clip: bytes
) -> None:
    ids = [await double.processing_task(clip) for _ in range(3)]
    await double.control.tasks.fail(ids[1])
    assert await double.control.tasks.complete(ids[2]) == "ready"

    async def first_polled_twice() -> bool:
        return [r.task_id for r in await double.requests("task_status")].count(ids[0]) >= 2

    async def finish_first() -> None:  # the first input finishes last
        await until(first_polled_twice)
        assert await double.control.tasks.complete(ids[0]) == "ready"

    finals, _ = await asyncio.gather(
        client.embed.tasks.wait_for_many(ids, sleep_interval=0.02), finish_first()
    )
    assert [f.id for f in finals] == ids
    assert [f.status for f in finals] == ["ready", "failed", "ready"]


async def test_wait_for_many_timeout_names_an_unfinished_task(
    double: EngineDouble, client: tl.AsyncTwelveLabs
) -> None:
    ids = [await double.processing_task() for _ in range(2)]
    await double.control.tasks.fail(ids[0])
    with pytest.raises(tl.WaitTimeoutError) as info:
        await client.embed.tasks.wait_for_many(ids, sleep_interval=0.05, timeout=0.3)
    assert info.value.task_id == ids[1]


async def test_wait_for_many_maps_by_the_id_asked_for(
    double: EngineDouble, client: tl.AsyncTwelveLabs
) -> None:
    for body in (
        {"_id": "SOMETHING-ELSE", "status": "ready", "model_name": "a"},
        {"status": "ready", "model_name": "b"},
    ):
        await double.control.faults.add("task_status", status=200, body=body, count=1)
    finals = await client.embed.tasks.wait_for_many(["task-a", "task-b"], sleep_interval=0.05)
    assert [f.model_name for f in finals] == ["a", "b"]


async def test_timeout_zero_still_looks_once(
    double: EngineDouble, client: tl.AsyncTwelveLabs, clip: bytes
) -> None:
    task_id = await double.processing_task(clip)
    assert await double.control.tasks.complete(task_id) == "ready"
    final = await client.embed.tasks.wait_for_done(task_id, timeout=0)
    assert final.status == "ready"


async def test_a_permanent_error_stops_the_other_polls(
    double: EngineDouble, client: tl.AsyncTwelveLabs
) -> None:
    slow = await double.processing_task()
    await double.control.faults.add(
        "task_status", status=404, code="resource_not_exist", message="gone", count=1
    )
    with pytest.raises(tl.NotFoundError):
        await client.embed.tasks.wait_for_many(
            ["missing", slow], sleep_interval=0.05, concurrency=1
        )
    from tests.observe import package_tasks

    # the round in flight may still land (a sent request cannot be recalled), but the
    # loop is gone: no task of the package is left that could start another round
    assert await package_tasks(client) == []
    assert await double.count("task_status") <= 2


async def test_a_409_is_polled_again_as_the_transport_retries_it(
    double: EngineDouble, caplog: pytest.LogCaptureFixture, clip: bytes
) -> None:
    """One definition of "worth retrying": the transport retries a 409, and when its
    retries run out the poller polls again instead of failing the wait."""
    task_id = await double.processing_task(clip)
    assert await double.control.tasks.complete(task_id) == "ready"
    await double.control.faults.add(
        "task_status",
        status=409,
        code="conflict",
        message="busy",
        headers={"retry-after": "0"},
        count=2,
    )  # both attempts of the first poll
    async with make_client(double, max_retries=1) as client:
        with caplog.at_level(logging.WARNING, logger="twelvelabs_embed"):
            final = await client.embed.tasks.wait_for_done(task_id, sleep_interval=0.05)
    assert final.status == "ready"
    assert [r.status for r in await double.requests("task_status")] == [409, 409, 200]
    assert "will poll again" in caplog.text
