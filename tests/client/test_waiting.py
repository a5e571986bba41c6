"""wait_for_done, as_completed and wait_for_many: callbacks, terminal states, timeouts, faults."""

from __future__ import annotations

import asyncio
import logging

import pytest

import twelvelabs_embed as tl
from tests.client.conftest import make_client
from tests.fakeplatform import FakePlatform, Fault

URL = "https://example.com/v.mp4"


async def _task(client: tl.AsyncTwelveLabs) -> str:
    created = await client.embed.tasks.create("marengo3.0", video_url=URL)
    assert created.id
    return created.id


async def test_sync_callback_sees_every_poll_including_the_first(
    fake: FakePlatform, client: tl.AsyncTwelveLabs
) -> None:
    fake.polls_until_ready = 3
    task_id = await _task(client)
    seen: list[str | None] = []
    final = await client.embed.tasks.wait_for_done(
        task_id, sleep_interval=0.05, callback=lambda s: seen.append(s.status)
    )
    assert final.status == "ready" and final.id == task_id
    assert seen == ["processing", "processing", "ready"]
    assert fake.count("GET", "status") == 3


async def test_async_callback_is_awaited(fake: FakePlatform, client: tl.AsyncTwelveLabs) -> None:
    fake.polls_until_ready = 2
    task_id = await _task(client)
    seen: list[str | None] = []

    async def callback(status: tl.TasksStatusResponse) -> None:
        await asyncio.sleep(0)
        seen.append(status.status)

    await client.embed.tasks.wait_for_done(task_id, sleep_interval=0.05, callback=callback)
    assert seen == ["processing", "ready"]


async def test_already_finished_task_reports_once(
    fake: FakePlatform, client: tl.AsyncTwelveLabs
) -> None:
    fake.polls_until_ready = 0
    task_id = await _task(client)
    seen = []
    await client.embed.tasks.wait_for_done(task_id, callback=seen.append)
    assert len(seen) == 1 and fake.count("GET", "status") == 1


async def test_failed_is_returned_not_raised(
    fake: FakePlatform, client: tl.AsyncTwelveLabs
) -> None:
    fake.polls_until_ready = 1
    task_id = await _task(client)
    fake.tasks[task_id].final_status = "failed"
    final = await client.embed.tasks.wait_for_done(task_id, sleep_interval=0.05)
    assert final.status == "failed" and final.done


async def test_timeout_raises_with_the_last_status(
    fake: FakePlatform, client: tl.AsyncTwelveLabs
) -> None:
    fake.polls_until_ready = 10_000
    task_id = await _task(client)
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(tl.WaitTimeoutError) as info:
        await client.embed.tasks.wait_for_done(task_id, sleep_interval=0.1, timeout=0.35)
    assert loop.time() - start >= 0.3, "it waited for the timeout"
    # ... and no longer: polls at 0, 0.1, 0.2, 0.3 and at most one at 0.35. A loaded
    # machine only stretches the sleeps, so it can only see fewer polls.
    assert 1 <= fake.count("GET", "status") <= 5
    assert info.value.task_id == task_id
    assert info.value.last_status is not None and info.value.last_status.status == "processing"
    assert isinstance(info.value, TimeoutError)


async def test_timeout_also_bounds_a_hanging_poll(fake: FakePlatform) -> None:
    never = asyncio.Event()  # the poll is answered only after the test has ended
    fake.script("GET", "status", Fault(hold=never, json={"status": "processing"}))
    async with make_client(fake, timeout=30) as client:
        with pytest.raises(tl.WaitTimeoutError) as info:
            await client.embed.tasks.wait_for_done("t", sleep_interval=0.1, timeout=0.3)
        never.set()
    assert info.value.last_status is None, "the hanging poll was cut, not awaited"


async def test_transient_errors_keep_polling(
    fake: FakePlatform, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(fake, max_retries=0) as client:
        fake.polls_until_ready = 2
        task_id = await _task(client)
        fake.script("GET", "status", Fault(503, json={"message": "busy"}), Fault(drop=True))
        seen = []
        with caplog.at_level(logging.WARNING, logger="twelvelabs_embed"):
            final = await client.embed.tasks.wait_for_done(
                task_id, sleep_interval=0.05, callback=seen.append
            )
    assert final.status == "ready"
    assert len(seen) == 2, "failed polls do not reach the callback"
    assert fake.count("GET", "status") == 4
    assert "will poll again" in caplog.text


async def test_permanent_errors_raise(fake: FakePlatform, client: tl.AsyncTwelveLabs) -> None:
    with pytest.raises(tl.NotFoundError):
        await client.embed.tasks.wait_for_done("0" * 24, sleep_interval=0.05)


@pytest.mark.parametrize("interval", [0, -1.0])
async def test_sleep_interval_must_be_positive(client: tl.AsyncTwelveLabs, interval: float) -> None:
    with pytest.raises(ValueError, match="sleep_interval"):
        await client.embed.tasks.wait_for_done("t", sleep_interval=interval)


async def test_as_completed_polls_many_in_one_loop(
    fake: FakePlatform, client: tl.AsyncTwelveLabs
) -> None:
    ids = [await _task(client) for _ in range(5)]
    for i, task_id in enumerate(ids):
        fake.tasks[task_id].polls_until_ready = 5 - i  # the last created finishes first
    order = [
        s.id async for s in client.embed.tasks.as_completed(ids, sleep_interval=0.02, concurrency=2)
    ]
    assert order == list(reversed(ids))
    # one loop: round r polls every unfinished task once, so 5+4+3+2+1 polls in all
    assert fake.count("GET", "status") == 15


async def test_wait_for_many_keeps_input_order(
    fake: FakePlatform, client: tl.AsyncTwelveLabs
) -> None:
    ids = [await _task(client) for _ in range(3)]
    fake.tasks[ids[0]].polls_until_ready = 3
    fake.tasks[ids[1]].final_status = "failed"
    finals = await client.embed.tasks.wait_for_many(ids, sleep_interval=0.02)
    assert [f.id for f in finals] == ids
    assert [f.status for f in finals] == ["ready", "failed", "ready"]


async def test_wait_for_many_timeout_names_an_unfinished_task(
    fake: FakePlatform, client: tl.AsyncTwelveLabs
) -> None:
    ids = [await _task(client) for _ in range(2)]
    fake.tasks[ids[1]].polls_until_ready = 10_000
    with pytest.raises(tl.WaitTimeoutError) as info:
        await client.embed.tasks.wait_for_many(ids, sleep_interval=0.05, timeout=0.3)
    assert info.value.task_id == ids[1]


async def test_wait_for_many_maps_by_the_id_asked_for(
    fake: FakePlatform, client: tl.AsyncTwelveLabs
) -> None:
    fake.script(
        "GET",
        "status",
        Fault(json={"_id": "SOMETHING-ELSE", "status": "ready", "model_name": "a"}),
        Fault(json={"status": "ready", "model_name": "b"}),
    )
    finals = await client.embed.tasks.wait_for_many(["task-a", "task-b"], sleep_interval=0.05)
    assert [f.model_name for f in finals] == ["a", "b"]


async def test_timeout_zero_still_looks_once(
    fake: FakePlatform, client: tl.AsyncTwelveLabs
) -> None:
    fake.polls_until_ready = 0
    task_id = await _task(client)
    final = await client.embed.tasks.wait_for_done(task_id, timeout=0)
    assert final.status == "ready"


async def test_a_permanent_error_stops_the_other_polls(
    fake: FakePlatform, client: tl.AsyncTwelveLabs
) -> None:
    slow = await _task(client)
    fake.script("GET", "status", Fault(404, json={"code": "resource_not_exist", "message": "gone"}))
    fake.polls_until_ready = 10_000
    with pytest.raises(tl.NotFoundError):
        await client.embed.tasks.wait_for_many(
            ["missing", slow], sleep_interval=0.05, concurrency=1
        )
    from tests.observe import package_tasks

    # the round in flight may still land (a sent request cannot be recalled), but the
    # loop is gone: no task of the package is left that could start another round
    assert await package_tasks(client) == []
    assert fake.count("GET", "status") <= 2


async def test_a_409_is_polled_again_as_the_transport_retries_it(
    fake: FakePlatform, caplog: pytest.LogCaptureFixture
) -> None:
    """One definition of "worth retrying": the transport retries a 409, and when its
    retries run out the poller polls again instead of failing the wait."""
    async with make_client(fake, max_retries=1) as client:
        fake.polls_until_ready = 1
        task_id = await _task(client)
        conflict = Fault(
            409, json={"code": "conflict", "message": "busy"}, headers={"retry-after": "0"}
        )
        fake.script("GET", "status", conflict, conflict)  # both attempts of the first poll
        with caplog.at_level(logging.WARNING, logger="twelvelabs_embed"):
            final = await client.embed.tasks.wait_for_done(task_id, sleep_interval=0.05)
    assert final.status == "ready"
    assert fake.count("GET", "status") == 3
    assert "will poll again" in caplog.text
