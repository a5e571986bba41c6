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
    """The process running a job died (segfault, OOM kill, ``os._exit``) before answering."""


class WorkerTimedOut(WorkerCrashed):
    """The job ran past its time limit (a hung decoder); its pool was stopped and replaced."""


class ExecutorClosed(WorkerCrashed):
    """The executor is shutting down: the job did not run, or was abandoned. Not the
    video's fault, so its task stays ``processing`` and runs again at the next start."""


class MediaExecutor(Protocol):
    """Runs picklable functions away from the event loop."""

    async def run(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """Run ``fn(*args)`` elsewhere and return its result or raise its exception.

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
