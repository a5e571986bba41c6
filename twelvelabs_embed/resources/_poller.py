"""The one status poller: a changing set of task ids, polled in rounds.

``wait_for_done``, ``as_completed`` and ``wait_for_many`` start it with their ids and a
deadline; a bulk job starts it empty and adds each task as it is created. Each round
polls the watched tasks that are due (at most ``concurrency`` requests at once) and
hands the answers to the caller in the order the ids were added. When each task is due
is :mod:`._poll_schedule`'s call: every ``sleep_interval`` until some task has finished,
then near when each is expected to finish (the time the finished ones took).

An error the errors module calls ``retryable`` (connection, 408, 409, 429, 5xx, an
unreadable body) is logged and the task is polled again next round; any other error is
handed to the caller, and the task leaves the set, as does a task in a terminal status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, Protocol, TypeVar

import attrs

from .._aio import cancel_and_wait
from ..errors import WaitTimeoutError, is_retryable
from ._poll_schedule import PollSchedule

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
        clock: the time in seconds (default: the running loop's clock); tests pass their
            own with ``sleep``.
        sleep: waits the given seconds, or until :meth:`add` wakes the poller (default:
            the loop's timer).
    """

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[S]],
        *,
        sleep_interval: float,
        concurrency: int,
        timeout: float | None = None,
        keep_running: bool = False,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float | None, asyncio.Event], Awaitable[None]] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._fetch = fetch
        self.schedule = PollSchedule(sleep_interval)
        self._gate = asyncio.Semaphore(concurrency)
        self._timeout = timeout
        self._keep_running = keep_running
        self._clock = clock
        self._sleep = sleep or _sleep_or_wake
        self._wake = asyncio.Event()
        self._waking_at: float | None = None
        """When the idle loop means to wake (``None``: it is not idle, or waits forever)."""
        self.last: dict[str, S] = {}
        """The latest status seen of each task."""

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def add(self, task_id: str) -> None:
        """Watch ``task_id``: due at the next regular round, or near its expected end."""
        due = self.schedule.add(task_id, self._now())
        if self._waking_at is None or due < self._waking_at:
            self._wake.set()

    def discard(self, task_id: str) -> None:
        self.schedule.discard(task_id)

    @property
    def pending(self) -> list[str]:
        return self.schedule.ids

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
        start = self._now()
        deadline = None if self._timeout is None else start + self._timeout
        first_round = True
        while True:
            if not self.schedule:
                if not self._keep_running:
                    return
                await self._idle(None)
                continue
            now = self._now()
            due = self.schedule.due(now)
            if not due:
                next_due = self.schedule.next_due()
                assert next_due is not None
                if deadline is not None and deadline <= now:
                    raise self._timed_out()
                wake_at = next_due if deadline is None else min(next_due, deadline)
                await self._idle(wake_at)
                continue
            remaining = None if deadline is None else deadline - now
            if first_round and remaining is not None and remaining <= 0:
                remaining = None  # timeout=0 still looks once (bounded by the transport)
            first_round = False
            polls = {t: asyncio.ensure_future(self._poll(t)) for t in due}
            try:
                _, late = await asyncio.wait(polls.values(), timeout=remaining)
            except BaseException:
                await cancel_and_wait(polls.values())
                raise
            if late:
                await cancel_and_wait(late)
            now = self._now()
            answers = []
            for task_id, fut in polls.items():
                polled = None if fut.cancelled() else fut.result()
                if task_id not in self.schedule:
                    pass  # discarded while its poll was in flight
                elif polled is None:
                    self.schedule.still_running(task_id, now)
                elif polled.error is not None:
                    self.schedule.gone(task_id)
                elif polled.status is not None and polled.status.done:
                    self.schedule.finished(task_id, now)
                else:
                    self.schedule.still_running(task_id, now)
                if polled is None:
                    continue
                if polled.status is not None:
                    self.last[task_id] = polled.status
                answers.append(polled)
            yield answers
            if not self.schedule and not self._keep_running:
                return
            if late or (deadline is not None and deadline - self._now() <= 0):
                raise self._timed_out()

    async def _idle(self, until: float | None) -> None:
        """Wait until ``until`` (``None``: forever), or until :meth:`add` has a task due sooner."""
        self._wake.clear()
        self._waking_at = until
        try:
            await self._sleep(None if until is None else max(0.0, until - self._now()), self._wake)
        finally:
            self._waking_at = None

    def _timed_out(self) -> WaitTimeoutError:
        task_id = self.pending[0]
        seen = self.last.get(task_id)
        state = seen.status if seen is not None else "unknown"
        return WaitTimeoutError(
            f"task {task_id} did not finish within {self._timeout} s (last status: {state})",
            task_id=task_id,
            last_status=seen,
        )


async def _sleep_or_wake(seconds: float | None, wake: asyncio.Event) -> None:
    """Sleep ``seconds`` (``None``: forever) or until ``wake`` is set, whichever is first."""
    if seconds is None:
        await wake.wait()
        return
    with contextlib.suppress(asyncio.TimeoutError):  # not the builtin one on 3.10
        await asyncio.wait_for(wake.wait(), seconds)
