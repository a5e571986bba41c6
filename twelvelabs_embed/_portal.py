"""The private event loop behind the sync client (and behind ``LocalEngine.start_in_thread``).

A :class:`Portal` owns one asyncio loop running in a daemon thread. :meth:`Portal.call`
hands a coroutine function to that loop and blocks the calling thread until it finishes.

Why not ``anyio.from_thread.BlockingPortal`` or ``asyncio.run_coroutine_threadsafe``: both
wake the caller through a ``concurrent.futures.Future`` (a condition variable); here the
caller waits on a per-call ``queue.SimpleQueue`` (one C-level lock), which is measurably
cheaper (``benchmarks/bench_sync_overhead.py``) and also lets the loop send work back:

* Callbacks (``wait_for_done(callback=...)``, ``on_upload_progress``, ``on_result``) are
  wrapped by :meth:`Portal.marshal`. When the core calls one, the loop puts it on the queue
  of the sync call that is running, and the caller's thread, which is blocked in
  :meth:`call` anyway, runs it and sends the result back. So sync callbacks run in the
  thread that made the call, one at a time, and need not be thread-safe. A callback that
  returns an awaitable has that awaitable awaited on the private loop.
* Ctrl-C while blocked (``KeyboardInterrupt``) cancels the coroutine on the loop, waits a
  moment (at most ``CANCEL_GRACE_SEC``) for it to unwind, closing its connection, and
  re-raises. A second Ctrl-C stops waiting at once.

After ``os.fork()`` the child has no loop thread: every call raises ``RuntimeError``.
An unclosed portal is shut down by a ``weakref.finalize`` (at garbage collection or
interpreter exit) with bounded waits, so it never hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import logging
import os
import queue
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, ParamSpec, TypeVar, overload

from .errors import TwelveLabsError

log = logging.getLogger("twelvelabs_embed")

P = ParamSpec("P")
T = TypeVar("T")
U = TypeVar("U")
F = TypeVar("F", bound=Callable[..., Any])

CANCEL_GRACE_SEC = 1.0
"""How long a Ctrl-C waits for the cancelled coroutine to unwind before re-raising."""
SHUTDOWN_TIMEOUT_SEC = 2.0
"""Bound on each step of closing: the session close, cancelling leftovers, the join."""

_fork_generation = 0


def _after_fork_in_child() -> None:
    global _fork_generation
    _fork_generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

_DONE = object()
_current_job: contextvars.ContextVar[_Job | None] = contextvars.ContextVar(
    "twelvelabs_embed_portal_job", default=None
)


class _State:
    """What the portal shares with its finalizer (which must not reference the portal)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.closed = False
        self.generation = _fork_generation


class _Job:
    """One blocking call: the loop runs it, the caller's thread waits on ``queue``."""

    __slots__ = ("accepting", "error", "interrupted", "queue", "result", "started", "task")

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.task: asyncio.Task[None] | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        self.started = False
        self.accepting = True  # callbacks may still be sent to the caller's thread
        self.interrupted = False

    async def run(self, fn: Callable[..., Awaitable[Any]], args: Any, kwargs: Any) -> None:
        self.started = True
        _current_job.set(self)
        try:
            self.result = await fn(*args, **kwargs)
        except BaseException as exc:  # delivered to the caller's thread, raised there
            self.error = exc
        finally:
            self.accepting = False
            self.queue.put(_DONE)

    def start(self, loop: asyncio.AbstractEventLoop, fn: Any, args: Any, kwargs: Any) -> None:
        self.task = loop.create_task(self.run(fn, args, kwargs))

    def cancel(self) -> None:
        """In the loop thread: stop the coroutine; make sure the caller hears about it."""
        self.accepting = False
        if self.task is None or self.task.done():
            return
        self.task.cancel()
        if not self.started:  # cancelled before its first step: ``run`` never executes
            self.error = asyncio.CancelledError()
            self.queue.put(_DONE)


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()


async def _stop_sequence(
    loop: asyncio.AbstractEventLoop,
    fn: Callable[..., Awaitable[Any]] | None,
    args: tuple[Any, ...],
    timeout: float = SHUTDOWN_TIMEOUT_SEC,
) -> None:
    """In the loop: run ``fn`` (the client's close, at most ``timeout`` s), cancel what is
    left, stop the loop."""
    try:
        if fn is not None:
            await asyncio.wait_for(fn(*args), timeout)
    finally:
        try:
            me = asyncio.current_task()
            others = [t for t in asyncio.all_tasks() if t is not me]
            for t in others:
                t.cancel()
            if others:
                await asyncio.wait(others, timeout=SHUTDOWN_TIMEOUT_SEC)
            await asyncio.wait_for(loop.shutdown_asyncgens(), SHUTDOWN_TIMEOUT_SEC)
            await asyncio.wait_for(loop.shutdown_default_executor(), SHUTDOWN_TIMEOUT_SEC)
        except (asyncio.TimeoutError, TimeoutError):
            log.warning("the sync client's event loop did not shut down cleanly in time")
        finally:
            loop.stop()


def _finalize(
    state: _State,
    loop: asyncio.AbstractEventLoop,
    thread: threading.Thread,
    shutdown: Callable[[], Awaitable[Any]] | None,
    timeout: float,
) -> None:
    """Close an abandoned portal (garbage collection or interpreter exit), never hanging."""
    with state.lock:
        if state.closed or state.generation != _fork_generation:
            return
        state.closed = True
    if not thread.is_alive() or loop.is_closed():
        return
    if threading.current_thread() is thread:  # collected inside the loop: cannot block
        loop.create_task(_stop_sequence(loop, shutdown, (), timeout))
        return
    job = _Job()
    try:
        args = (loop, shutdown, (), timeout)
        loop.call_soon_threadsafe(job.start, loop, _stop_sequence, args, {})
        job.queue.get(timeout=timeout + 2 * SHUTDOWN_TIMEOUT_SEC)
    except BaseException as exc:  # a finalizer must not raise, nor wait for long
        log.debug("closing an abandoned sync client: %r", exc)
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=SHUTDOWN_TIMEOUT_SEC)


class Portal:
    """A private event loop in a daemon thread, and the means to call into it.

    Args:
        shutdown: the coroutine function that releases the async resources (the async
            client's ``close``); the finalizer runs it if :meth:`close` never is.
        name: the loop thread's name is ``<name>-event-loop``.
        shutdown_timeout: the longest the closing coroutine may run, in seconds.
    """

    def __init__(
        self,
        shutdown: Callable[[], Awaitable[Any]] | None = None,
        *,
        name: str = "twelvelabs",
        shutdown_timeout: float = SHUTDOWN_TIMEOUT_SEC,
    ) -> None:
        self._state = _State()
        self._shutdown_timeout = shutdown_timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=_run_loop, args=(self._loop,), name=f"{name}-event-loop", daemon=True
        )
        self._thread.start()
        self._finalizer = weakref.finalize(
            self, _finalize, self._state, self._loop, self._thread, shutdown, shutdown_timeout
        )

    @property
    def closed(self) -> bool:
        return self._state.closed

    def _check(self) -> None:
        state = self._state
        if state.generation != _fork_generation:
            raise RuntimeError(
                "this twelvelabs_embed sync client was created before fork; "
                "create a new client in the child process"
            )
        if threading.current_thread() is self._thread:
            raise RuntimeError(
                "the sync client cannot be called from its own event loop thread "
                "(a coroutine callback must not call the sync client; use a plain function)"
            )

    def _submit(self, fn: Callable[..., Awaitable[Any]], args: Any, kwargs: Any) -> _Job:
        job = _Job()
        with self._state.lock:
            if self._state.closed:
                raise TwelveLabsError("the client is closed")
            self._loop.call_soon_threadsafe(job.start, self._loop, fn, args, kwargs)
        return job

    def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``await fn(*args, **kwargs)`` on the private loop; block until it is done.

        Raises whatever the coroutine raises. ``KeyboardInterrupt`` while waiting cancels
        the coroutine first. Raises ``TwelveLabsError`` once the client is closed and
        ``RuntimeError`` in a child process after ``fork``.
        """
        self._check()
        job = self._submit(fn, args, kwargs)
        result: T = self._wait(job)
        return result

    def _wait(self, job: _Job) -> Any:
        get = job.queue.get
        try:
            while True:
                message = get()
                if message is _DONE:
                    break
                self._run_callback(message)
        except BaseException:  # Ctrl-C (or SystemExit from a signal handler)
            job.interrupted = True
            self._cancel(job)
            raise
        error = job.error
        if error is None:
            return job.result
        job.error = None  # no reference cycle through the traceback
        if isinstance(error, asyncio.CancelledError):
            raise TwelveLabsError("the client was closed while the call was running") from None
        raise error

    def _cancel(self, job: _Job) -> None:
        """Cancel ``job`` on the loop and wait briefly for it to unwind."""
        try:
            self._loop.call_soon_threadsafe(job.cancel)
        except RuntimeError:  # the loop is already closed
            return
        get = job.queue.get
        try:
            while True:
                message = get(timeout=CANCEL_GRACE_SEC)
                if message is _DONE:
                    return
                _, _, future = message  # a callback that will not run now
                self._loop.call_soon_threadsafe(future.cancel)
        except (queue.Empty, RuntimeError):
            return

    def _run_callback(self, message: tuple[Callable[..., Any], tuple[Any, ...], Any]) -> None:
        fn, args, future = message
        try:
            result = fn(*args)
        except Exception as exc:
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, result)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            self._loop.call_soon_threadsafe(_settle, future, outcome)

    def marshal(self, fn: F | None) -> F | None:
        """Wrap a callback so it runs in the thread of the sync call that triggers it.

        The core awaits what the wrapper returns, so the coroutine waits for the callback,
        and an exception the callback raises surfaces in the coroutine. A callback fired
        outside any sync call (none of the core's are) runs on the loop thread instead.
        """
        if fn is None:
            return None
        loop = self._loop

        def in_caller_thread(*args: Any) -> Any:
            job = _current_job.get()
            if job is None or not job.accepting:
                return fn(*args)
            future = loop.create_future()
            job.queue.put((fn, args, future))
            return future

        result: F = in_caller_thread  # type: ignore[assignment]
        return result

    @overload
    def iterate(self, it: AsyncIterator[T], /) -> Iterator[T]: ...
    @overload
    def iterate(self, it: AsyncIterator[T], wrap: Callable[[T, Portal], U], /) -> Iterator[U]: ...
    def iterate(
        self, it: AsyncIterator[Any], wrap: Callable[[Any, Portal], Any] | None = None, /
    ) -> Iterator[Any]:
        """A plain iterator over an async one, pulling one item per :meth:`call`.

        Closing the iterator (``break`` out of a ``for`` loop, then dropping it, or
        ``close()``) closes the async generator on the loop.
        """
        try:
            while True:
                try:
                    item = self.call(it.__anext__)
                except StopAsyncIteration:
                    return
                yield item if wrap is None else wrap(item, self)
        finally:
            aclose = getattr(it, "aclose", None)
            if aclose is not None and not self._state.closed:
                if threading.current_thread() is self._thread:
                    self._loop.create_task(aclose())  # collected on the loop: cannot block
                elif self._state.generation == _fork_generation:
                    self.call(aclose)

    def close(self, fn: Callable[..., Awaitable[Any]] | None = None, /, *args: Any) -> None:
        """Run ``await fn(*args)`` (the client's close) on the loop, then stop and join it.

        Calls still running in other threads are cancelled and raise ``TwelveLabsError``.
        Closing twice is fine; the second time does nothing.
        """
        state = self._state
        with state.lock:
            if state.closed or state.generation != _fork_generation:
                state.closed = True
                return
            if threading.current_thread() is self._thread:
                raise RuntimeError("the sync client cannot be closed from its own loop thread")
            state.closed = True
            job = _Job()
            stop_args = (self._loop, fn, args, self._shutdown_timeout)
            self._loop.call_soon_threadsafe(job.start, self._loop, _stop_sequence, stop_args, {})
        self._finalizer.detach()
        try:
            self._wait(job)
        finally:
            self._thread.join(timeout=self._shutdown_timeout + 2 * SHUTDOWN_TIMEOUT_SEC)


def _settle(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    """In the loop: resolve a marshalled callback's future; await an awaitable result."""
    if future.done():
        return
    ok, value = outcome
    if not ok:
        future.set_exception(value)
    elif inspect.isawaitable(value):
        inner = asyncio.ensure_future(value)
        inner.add_done_callback(lambda t: _copy(t, future))
    else:
        future.set_result(value)


def _copy(source: asyncio.Future[Any], target: asyncio.Future[Any]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (exc := source.exception()) is not None:
        target.set_exception(exc)
    else:
        target.set_result(source.result())
