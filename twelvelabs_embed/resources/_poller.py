"""The one status poller: a changing set of task ids, polled in rounds.

``wait_for_done``, ``as_completed`` and ``wait_for_many`` start it with their ids and a
deadline; a bulk job starts it empty and adds each task as it is created. Each round
polls every watched task (at most ``concurrency`` requests at once), hands the answers
to the caller in the order the ids were added, then sleeps ``sleep_interval``.

An error the errors module calls ``retryable`` (connection, 408, 409, 429, 5xx, an
unreadable body) is logged and the task is polled again next round; any other error is
handed to the caller, and the task leaves the set, as does a task in a terminal status.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, Protocol, TypeVar

import attrs

from .._aio import cancel_and_wait
from ..errors import WaitTimeoutError, is_retryable

log = logging.getLogger("twelvelabs_embed")


class Pollable(Protocol):
    """What a poll answers: a v1 ``TasksStatusResponse`` or a v2 ``EmbeddingTaskResponse``."""

    @property
    def status(self) -> str | None: ...

    @property
    def done(self) -> bool: ...


S = TypeVar("S", bound=Pollable)
FetchStatus = Callable[[str], Awaitable[S]]


@attrs.frozen
class Polled(Generic[S]):
    """One poll's outcome: exactly one of ``status`` and ``error`` is set."""

    task_id: str
    status: S | None = None
    error: Exception | None = None


class TaskPoller(Generic[S]):
    """Polls the tasks in its set until each reaches a terminal status.

    Args:
        fetch: one status request (``tasks.status``).
        timeout: seconds until :meth:`rounds` raises ``WaitTimeoutError`` naming the
            first unfinished task; ``None`` waits forever. ``0`` still polls once.
        keep_running: wait for new ids when the set is empty instead of ending (a job).
    """

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[S]],
        *,
        sleep_interval: float,
        concurrency: int,
        timeout: float | None = None,
        keep_running: bool = False,
    ) -> None:
        if sleep_interval <= 0:
            raise ValueError("sleep_interval must be greater than 0")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._fetch = fetch
        self._interval = sleep_interval
        self._gate = asyncio.Semaphore(concurrency)
        self._timeout = timeout
        self._keep_running = keep_running
        self._ids: dict[str, None] = {}
        self._wake = asyncio.Event()
        self.last: dict[str, S] = {}
        """The latest status seen of each task."""

    def add(self, task_id: str) -> None:
        """Watch ``task_id`` from the next round on."""
        self._ids[task_id] = None
        self._wake.set()

    def discard(self, task_id: str) -> None:
        self._ids.pop(task_id, None)

    @property
    def pending(self) -> list[str]:
        return list(self._ids)

    async def _poll(self, task_id: str) -> Polled[S] | None:
        async with self._gate:
            try:
                return Polled(task_id, status=await self._fetch(task_id))
            except Exception as exc:
                if not is_retryable(exc):
                    return Polled(task_id, error=exc)
                log.warning("polling task %s failed (%s); will poll again", task_id, exc)
                return None

    async def rounds(self) -> AsyncGenerator[list[Polled[S]], None]:
        """Yield each round's answers; ends when the set is empty (unless ``keep_running``)."""
        loop = asyncio.get_running_loop()
        deadline = None if self._timeout is None else loop.time() + self._timeout
        first_round = True
        while True:
            if not self._ids:
                if not self._keep_running:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            remaining = None if deadline is None else deadline - loop.time()
            if first_round and remaining is not None and remaining <= 0:
                remaining = None  # timeout=0 still looks once (bounded by the transport)
            first_round = False
            polls = {t: asyncio.ensure_future(self._poll(t)) for t in self._ids}
            try:
                _, late = await asyncio.wait(polls.values(), timeout=remaining)
            except BaseException:
                await cancel_and_wait(polls.values())
                raise
            if late:
                await cancel_and_wait(late)
            answers = []
            for task_id, fut in polls.items():
                polled = None if fut.cancelled() else fut.result()
                if polled is None:
                    continue
                if polled.status is not None:
                    self.last[task_id] = polled.status
                if polled.error is not None or (polled.status is not None and polled.status.done):
                    self.discard(task_id)
                answers.append(polled)
            yield answers
            if not self._ids and not self._keep_running:
                return
            remaining = None if deadline is None else deadline - loop.time()
            if late or (remaining is not None and remaining <= 0):
                raise self._timed_out()
            await asyncio.sleep(
                self._interval if remaining is None else min(self._interval, remaining)
            )

    def _timed_out(self) -> WaitTimeoutError:
        task_id = self.pending[0]
        seen = self.last.get(task_id)
        state = seen.status if seen is not None else "unknown"
        return WaitTimeoutError(
            f"task {task_id} did not finish within {self._timeout} s (last status: {state})",
            task_id=task_id,
            last_status=seen,
        )
