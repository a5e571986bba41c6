"""Where CPU-heavy media work runs: the executor interface and its errors.

The engine only ever calls ``await executor.run(fn, *args)`` with a picklable,
module-level ``fn``; that is the whole contract. ``process_pool.ProcessPoolMediaExecutor``
is the local implementation. A Ray (or any cluster) executor drops in by implementing
the same methods, e.g. ``run`` wrapping ``ray.remote(fn).remote(*args)`` and awaiting
the ``ObjectRef``; nothing else in the engine needs to change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class WorkerCrashed(RuntimeError):
    """The process running a job died (segfault, OOM kill, ``os._exit``) before answering.

    ``runs``: how many times the job ran and died in this one ``run`` call (an executor
    that re-runs crashed jobs itself, as Ray does, reports its re-runs here), so a caller
    with its own crash budget counts every run.
    """

    def __init__(self, message: str = "", *, runs: int = 1) -> None:
        super().__init__(message)
        self.runs = runs


def retries_left(max_runs: int, runs_so_far: int) -> int:
    """How many re-runs an executor may add to the next run of a job that has already
    crashed ``runs_so_far`` times, so that it runs at most ``max_runs`` times in all
    (one budget, whether the executor or its caller does the re-running)."""
    return max(0, max_runs - runs_so_far - 1)


class WorkerTimedOut(WorkerCrashed):
    """The job ran past its time limit (a hung decoder); its pool was stopped and replaced."""


class ExecutorClosed(WorkerCrashed):
    """The executor is shutting down: the job did not run, or was abandoned. Not the
    video's fault, so its task stays ``processing`` and runs again at the next start."""


class MediaExecutor(Protocol):
    """Runs picklable functions away from the event loop."""

    async def run(
        self,
        fn: Callable[..., T],
        *args: Any,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> T:
        """Run ``fn(*args)`` elsewhere and return its result or raise its exception.

        ``retries`` caps the re-runs the executor itself may make after a crash (``None``:
        its own setting); a caller that re-runs crashed jobs passes what its budget has
        left (:func:`retries_left`). The process pool never re-runs; Ray does, once.

        Raises:
            WorkerCrashed: the worker died; the executor has already recovered.
            WorkerTimedOut: ``timeout`` seconds passed; the worker was stopped.
            ExecutorClosed: ``aclose`` was called (before or while the job ran).
        """
        ...

    async def aclose(self) -> None:
        """Stop the workers; jobs still running are abandoned."""
        ...

    def stats(self) -> dict[str, Any]:
        """Where jobs ran, JSON-ready: ``{"executor", "jobs", "crashes", "timeouts",
        "in_flight", "nodes": {node: {"hostname", "jobs", "workers": {pid: {"jobs"}}}}}``
        (the control plane's ``/_engine/stats`` shows it)."""
        ...
