"""The local process pool that runs the engine's media work (see :mod:`.base`)."""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import multiprocessing
import os
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ..._aio import to_thread
from .base import ExecutorClosed, WorkerCrashed, WorkerTimedOut
from .worker_setup import init_worker, sigint_blocked

T = TypeVar("T")

log = logging.getLogger(__name__)


def _mp_context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    """``forkserver`` where available (fast forks of a clean, preloaded server), else ``spawn``.

    Never plain ``fork``: the engine's process has an event loop and threads.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        if preload:
            ctx.set_forkserver_preload(list(preload))
        return ctx
    return multiprocessing.get_context("spawn")


class ProcessPoolMediaExecutor:
    """A ``ProcessPoolExecutor`` that replaces itself when a worker crashes.

    A broken pool fails every job it was running with ``WorkerCrashed``; the next ``run``
    gets a fresh pool, so one poisonous video never wedges the engine.
    """

    def __init__(self, max_workers: int, *, preload: Sequence[str] = ()) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._max_workers = max_workers
        self._ctx = _mp_context(preload)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False
        self.crashes = 0
        self.timeouts = 0
        self.jobs = 0
        self._in_flight = 0
        self._per_worker: collections.Counter[int] = collections.Counter()

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise ExecutorClosed("the executor is closed")
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self._max_workers,
                    mp_context=self._ctx,
                    initializer=init_worker,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
                self.crashes += 1
        pool.shutdown(wait=False, cancel_futures=True)

    async def run(
        self,
        fn: Callable[..., T],
        *args: Any,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> T:
        """See :meth:`.base.MediaExecutor.run`; a crashed job is never re-run here
        (``retries`` is a cap, and the pool's own is 0)."""
        self._in_flight += 1
        try:
            pid, outcome = await self._run(functools.partial(_counted, fn, *args), timeout)
        finally:
            self._in_flight -= 1
        self.jobs += 1
        self._per_worker[pid] += 1
        if isinstance(outcome, _Raised):
            raise outcome.error
        result: T = outcome
        return result

    def stats(self) -> dict[str, Any]:
        host = socket.gethostname()
        return {
            "executor": "process_pool",
            "max_workers": self._max_workers,
            "in_flight": self._in_flight,
            "jobs": self.jobs,
            "crashes": self.crashes,
            "timeouts": self.timeouts,
            "nodes": {
                host: {
                    "hostname": host,
                    "jobs": self.jobs,
                    "workers": {str(pid): {"jobs": n} for pid, n in self._per_worker.items()},
                }
            },
        }

    async def _run(self, call: Callable[[], T], timeout: float | None) -> T:
        while True:
            pool = self._current()
            try:
                future = self._submit(pool, call)
            except BrokenProcessPool as exc:
                # A worker died while idle (OOM killer, kill -9): the pool refuses new jobs,
                # but this one never ran, so a fresh pool may take it.
                log.warning("a media worker died while idle; starting a fresh pool (%s)", exc)
                self._discard(pool)
                pool = self._current()
                future = self._submit(pool, call)
            try:
                return await self._await(pool, future, timeout)
            except asyncio.CancelledError:
                if not future.cancelled() or _cancelling():
                    raise  # this wait was cancelled, not (only) the job
                # The job was still queued when its pool was stopped (another job's time
                # limit, or aclose): it never ran, so a fresh pool takes it.
                if self._closed:
                    raise ExecutorClosed("the executor closed before the job ran") from None

    async def _await(
        self, pool: ProcessPoolExecutor, future: asyncio.Future[T], timeout: float | None
    ) -> T:
        # asyncio.wait, not wait_for: cancelling this wait (the engine stopping) must not
        # cancel the pool's own future, or the pool's manager thread, failing the jobs of a
        # broken pool, meets a cancelled future and dies with InvalidStateError (CPython
        # 3.11); and 3.11's wait_for returns the result, swallowing the cancellation, when
        # the job ends in the same loop step, so a stopping engine's consumer went on
        # forever. The callback reads an abandoned job's outcome (never "unretrieved").
        future.add_done_callback(_read_outcome)
        try:
            done, _ = await asyncio.wait({future}, timeout=timeout)
            if not done:
                raise asyncio.TimeoutError
            return future.result()
        except BrokenProcessPool as exc:
            if self._closed:  # aclose() stopped the workers: shutting down, not a crash
                raise ExecutorClosed("the executor closed while the job ran") from exc
            log.warning("a media worker died; starting a fresh pool (%s)", exc)
            self._discard(pool)
            raise WorkerCrashed(f"the worker process died: {exc}") from exc
        except asyncio.TimeoutError:
            # A process pool cannot cancel a running job: stop that pool's workers (other
            # jobs on it fail as crashed and are re-queued) and start a fresh one.
            log.warning("a media job ran past %s s; stopping its workers", timeout)
            self.timeouts += 1
            _terminate(pool)
            self._discard(pool)
            raise WorkerTimedOut(f"the job did not finish within {timeout:g} s") from None

    @staticmethod
    def _submit(pool: ProcessPoolExecutor, call: Callable[[], T]) -> asyncio.Future[T]:
        # Submitting may start the fork server and workers: start them with Ctrl-C
        # blocked, so none dies of it before its initializer ignores it.
        with sigint_blocked():
            return asyncio.get_running_loop().run_in_executor(pool, call)

    async def aclose(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is None:
            return
        # Jobs in flight are abandoned (their tasks stay `processing` and are re-queued at
        # the next start), so do not wait for them: stop the workers outright.
        _terminate(pool)
        await to_thread(pool.shutdown, True)


def _cancelling() -> bool:
    """Whether the running task has a cancellation pending (always False before 3.11)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return bool(cancelling()) if cancelling is not None else False


def _read_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class _Raised:
    """An exception a job raised, carried back beside the worker's pid."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _counted(fn: Callable[..., T], *args: Any) -> tuple[int, T | _Raised]:
    """In the worker: run the job and say which process ran it (for ``stats``)."""
    try:
        return os.getpid(), fn(*args)
    except Exception as exc:
        return os.getpid(), _Raised(exc)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's worker processes outright (SIGTERM, then SIGKILL for a stopped one)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.kill()
