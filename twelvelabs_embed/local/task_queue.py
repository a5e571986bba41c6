"""The work queue both task runners (v1 and v2) drain: ids waiting for a consumer, and a
count of work not yet finished.

Work counts from :meth:`TaskQueue.submit` (or :meth:`TaskQueue.hold`, for a download in
flight) until :meth:`TaskQueue.done_one`; a delayed task stays counted while it waits, so
``idle`` is set only when nothing is queued, delayed, downloading or running. That is what
``LocalEngine`` waits on before it says the engine is idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from .control.lifecycle import Lifecycle

log = logging.getLogger("twelvelabs_embed.local")


class TaskQueue:
    """Task ids in arrival order, with the unfinished-work count behind ``idle``."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._pending = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def submit(self, task_id: str) -> None:
        self.hold()
        self._queue.put_nowait(task_id)

    def hold(self) -> None:
        """Count work that is not in the queue yet (a download the task waits for)."""
        self._pending += 1
        self.idle.clear()

    def done_one(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.idle.set()

    def qsize(self) -> int:
        return self._queue.qsize()

    async def consume(
        self,
        lifecycle: Lifecycle,
        process: Callable[[str], Awaitable[None]],
        fail: Callable[[str], Awaitable[object]],
    ) -> None:
        """One consumer: ask the lifecycle (#15's control plane) whether each task may run,
        run it with ``process``, and ``fail`` it on an unexpected error, forever."""
        while True:
            task_id = await self._queue.get()
            decision = lifecycle.decide(task_id, self.submit)
            if decision != "run":
                if isinstance(decision, float):  # still pending: back in the queue later
                    asyncio.get_running_loop().call_later(decision, self._queue.put_nowait, task_id)
                else:  # parked until released: handed back through submit()
                    self.done_one()
                continue
            try:
                await process(task_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("task %s: unexpected error", task_id)
                with contextlib.suppress(Exception):
                    await fail(task_id)
            finally:
                self.done_one()
