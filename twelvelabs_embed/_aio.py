"""Structured-concurrency helpers: no coroutine (and no thread) outlives its call.

``asyncio.gather`` leaves its other awaitables running when one fails; a bulk create
would go on uploading after the caller got the exception. These wait for the first
failure, cancel the rest, wait for them to finish, then raise that failure.

:func:`to_thread` is the package's one way to run blocking code off the event loop
(the SDK's file reads and probe, the jobs' hashing and writes, the engine's body
building and disk writes).

:func:`wait_within` is the package's one way to bound a wait (``asyncio.timeout`` on
Python 3.11+, ``asyncio.wait`` on 3.10), because ``asyncio.wait_for`` before 3.12 loses a
cancellation that arrives as the awaited thing finishes (the engine's stop then waited
forever on a job consumer that went back to its queue).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")


_TIMEOUT: Any = getattr(asyncio, "timeout", None)  # Python 3.11+


async def wait_within(aw: Awaitable[T], seconds: float | None) -> T:
    """Await ``aw``, raising ``asyncio.TimeoutError`` after ``seconds`` (``None``: no bound).

    A cancellation of the caller always propagates, even when ``aw`` completes at the
    same moment (``asyncio.wait_for`` before Python 3.12 returns the result instead).
    """
    if _TIMEOUT is None:
        return await waited_within(aw, seconds)
    async with _TIMEOUT(seconds):
        return await aw


async def waited_within(aw: Awaitable[T], seconds: float | None) -> T:
    """:func:`wait_within` without ``asyncio.timeout`` (Python 3.10): ``aw`` runs as its own
    task, watched by ``asyncio.wait``, which never swallows the caller's cancellation."""
    task = asyncio.ensure_future(aw)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except BaseException:
        await cancel_and_wait([task])
        raise
    if not done:
        await cancel_and_wait([task])
        raise asyncio.TimeoutError
    return task.result()


async def to_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` in a worker thread and return its result.

    Threads come from anyio's pool, bounded by its default limiter (40 at once), so a
    burst of uploads cannot start unbounded threads. Cancelling the caller waits for
    ``fn`` to return (a thread cannot be interrupted), so nothing it touches is still
    in use once the caller has unwound.
    """
    return await anyio.to_thread.run_sync(fn, *args)


async def cancel_and_wait(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel ``tasks`` and wait until every one has finished."""
    pending = [t for t in tasks if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)


async def run_to_completion(aw: Awaitable[T]) -> T:
    """Await ``aw`` to its end even if the caller is cancelled meanwhile, then raise that
    cancellation (which wins over an error of ``aw``): for clean-up that must not stop
    halfway (the engine stopping just after a task finished must still remove its upload).
    """
    task = asyncio.ensure_future(aw)
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        if not task.cancelled():
            task.exception()  # retrieved: the caller's cancellation is what propagates
        raise asyncio.CancelledError
    return task.result()


async def gather_or_cancel(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Like ``asyncio.gather``, but the first failure cancels (and awaits) all the others."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    if not tasks:
        return []
    try:
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:  # our own cancellation: take the children down with us
        await cancel_and_wait(tasks)
        raise
    if pending:
        await cancel_and_wait(pending)
        failed = next(t for t in tasks if t.done() and not t.cancelled() and t.exception())
        raise failed.exception()  # type: ignore[misc]
    return [t.result() for t in tasks]
