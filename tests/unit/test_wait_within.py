"""``wait_within``: a bounded wait that never loses its caller's cancellation.

CPython 3.11's ``asyncio.wait_for`` returns the result when the awaited future finishes
in the same loop turn as the caller is cancelled; the engine's job consumer then went
back to its queue and the engine's stop waited forever for it.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from twelvelabs_embed._aio import wait_within

needs_timeout = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="Python 3.10 has no asyncio.timeout"
)


async def _cancelled_as_it_finishes(wait: object) -> str:
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[int] = loop.create_future()
    waiting = asyncio.Event()

    async def caller() -> int:
        waiting.set()
        return await wait(fut, 30)  # type: ignore[operator, no-any-return]

    task = asyncio.create_task(caller())
    await waiting.wait()
    await asyncio.sleep(0)  # the caller is now suspended on `fut`
    fut.set_result(1)  # the job finishes ...
    task.cancel()  # ... in the same turn as the engine stops
    try:
        return f"returned {await task}"
    except asyncio.CancelledError:
        return "cancelled"


@needs_timeout
async def test_a_cancellation_that_meets_the_result_still_cancels() -> None:
    assert await _cancelled_as_it_finishes(wait_within) == "cancelled"


@needs_timeout
async def test_the_stdlib_wait_for_is_the_reason() -> None:
    """What this helper replaces: 3.11's wait_for swallows that cancellation."""
    if sys.version_info >= (3, 12):
        pytest.skip("fixed in the standard library from 3.12")
    assert await _cancelled_as_it_finishes(asyncio.wait_for) == "returned 1"


async def test_the_bound_raises_asyncio_timeout_error() -> None:
    never: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    with pytest.raises(asyncio.TimeoutError):
        await wait_within(never, 0.01)
    assert never.cancelled()


async def test_no_bound_and_a_result() -> None:
    fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    fut.set_result(7)
    assert await wait_within(fut, None) == 7
