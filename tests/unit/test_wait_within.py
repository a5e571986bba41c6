"""``wait_within``: a bounded wait that never loses its caller's cancellation.

``asyncio.wait_for`` before Python 3.12 returns the result when the awaited future
finishes in the same loop turn as the caller is cancelled; the engine's job consumer then
went back to its queue and the engine's stop waited forever for it. Both of the helper's
paths are tested here: ``asyncio.timeout`` (3.11+) and ``asyncio.wait`` (3.10).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from twelvelabs_embed._aio import wait_within, waited_within

Wait = Callable[[Awaitable[int], float | None], Awaitable[int]]
PATHS = [
    pytest.param(
        wait_within,
        id="asyncio.timeout",
        marks=pytest.mark.skipif(sys.version_info < (3, 11), reason="no asyncio.timeout"),
    ),
    pytest.param(waited_within, id="asyncio.wait"),
]


async def _cancelled_as_it_finishes(wait: Any) -> str:
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[int] = loop.create_future()
    waiting = asyncio.Event()

    async def caller() -> int:
        waiting.set()
        result: int = await wait(fut, 30)
        return result

    task = asyncio.create_task(caller())
    await waiting.wait()
    for _ in range(3):  # the caller is now suspended on `fut` (a wait may add a task hop)
        await asyncio.sleep(0)
    fut.set_result(1)  # the job finishes ...
    task.cancel()  # ... in the same turn as the engine stops
    try:
        return f"returned {await task}"
    except asyncio.CancelledError:
        return "cancelled"


@pytest.mark.parametrize("wait", PATHS)
async def test_a_cancellation_that_meets_the_result_still_cancels(wait: Wait) -> None:
    assert await _cancelled_as_it_finishes(wait) == "cancelled"


async def test_the_stdlib_wait_for_is_the_reason() -> None:
    """What this helper replaces: wait_for before 3.12 swallows that cancellation."""
    if sys.version_info >= (3, 12):
        pytest.skip("fixed in the standard library from 3.12")
    assert await _cancelled_as_it_finishes(asyncio.wait_for) == "returned 1"


@pytest.mark.parametrize("wait", PATHS)
async def test_the_bound_raises_asyncio_timeout_error(wait: Wait) -> None:
    never: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    with pytest.raises(asyncio.TimeoutError):
        await wait(never, 0.01)
    assert never.cancelled()


@pytest.mark.parametrize("wait", PATHS)
async def test_no_bound_and_a_result(wait: Wait) -> None:
    fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    fut.set_result(7)
    assert await wait(fut, None) == 7
