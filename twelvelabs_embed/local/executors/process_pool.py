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
        self._retired: list[threading.Thread] = []
        """Manager threads of pools replaced after a crash or a time limit, which may still
        be winding down: :meth:`aclose` waits for them too."""
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

    def _discard(self, pool: ProcessPoolExecutor, *, kill: bool = False) -> None:
        """Stop using ``pool`` (``kill``: its workers too); keep its manager thread for
        :meth:`aclose` to wait on."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
                self.crashes += 1
            self._retired = [t for t in self._retired if t.is_alive()] + _manager_thread(pool)
        if kill:
            _terminate(pool)
        else:
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
            except _Dropped:
                # The job was still queued when its pool was stopped (another job's time
                # limit, or aclose): it never ran, so a fresh pool takes it.
                if self._closed:
                    raise ExecutorClosed("the executor closed before the job ran") from None

    async def _await(
        self, pool: ProcessPoolExecutor, future: asyncio.Future[T], timeout: float | None
    ) -> T:
        # asyncio.wait, never a cancel of `future`: cancelling the pool's own future would
        # leave CPython 3.11's pool manager, failing the jobs of a broken pool, to meet a
        # cancelled future and die with InvalidStateError; and wait_for would lose this
        # caller's cancellation when it meets the job's end. The callback reads an
        # abandoned job's outcome so nothing is logged as unretrieved.
        future.add_done_callback(_read_outcome)
        try:
            done, _ = await asyncio.wait({future}, timeout=timeout)
            if not done:
                raise asyncio.TimeoutError
            if future.cancelled():  # by the pool, never by a caller
                raise _Dropped
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
            self._discard(pool, kill=True)
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
            threads, self._retired = self._retired, []
        # Jobs in flight are abandoned (their tasks stay `processing` and are re-queued at
        # the next start), so do not wait for them: stop the workers outright. Then wait
        # for every pool's manager thread, retired ones too (taken before the shutdown,
        # which forgets it): one still closing its wake-up pipe when the interpreter exits
        # makes CPython's exit hook fail with EBADF.
        if pool is not None:
            threads += _manager_thread(pool)
            _terminate(pool)
        for thread in threads:
            await to_thread(thread.join)


def _manager_thread(pool: ProcessPoolExecutor) -> list[threading.Thread]:
    """The pool's manager thread, if it has one (a pool's shutdown forgets it)."""
    thread = getattr(pool, "_executor_manager_thread", None)
    return [thread] if isinstance(thread, threading.Thread) else []


class _Dropped(Exception):
    """The pool dropped a job it had not started (its pool was stopped)."""


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
