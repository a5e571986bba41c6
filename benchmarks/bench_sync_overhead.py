"""The sync client's cost per call: ``TwelveLabs.status()`` against the same async call.

Group "sequential": ``CALLS`` ``status`` calls one after another, against a loopback server
in its own process:

* baseline: ``AsyncTwelveLabs`` awaited in turn on the main thread's loop;
* this SDK's sync ``TwelveLabs`` (target: within 1.3x of the baseline): the call crosses to
  the client's private loop thread and the caller waits on a per-call ``SimpleQueue``;
* for reference, the same async client driven from another thread by the usual hand-offs:
  ``asyncio.run_coroutine_threadsafe`` + ``Future.result()``, anyio's ``BlockingPortal``,
  and ``call_soon_threadsafe`` + a done callback releasing a ``threading.Lock``.

Group "hand-off only": the same mechanisms running a no-I/O coroutine, relative to the
portal behind ``TwelveLabs`` (the pure cost of crossing threads, without network noise).

Rows interleave and each repetition is short, so drift on a shared machine hits every
row alike; quote the medians.

    python -m benchmarks.bench_sync_overhead [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from . import Report, Row
from ._server import API_KEY, LoopbackServer, status_body

NAME = "sync_overhead"
TASK_ID = "task_status"
BASELINE = "AsyncTwelveLabs, awaited in turn"


@contextmanager
def loop_thread() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def lock_handoff(loop: asyncio.AbstractEventLoop) -> Callable[..., Any]:
    """``call_soon_threadsafe`` to start a task; its done callback releases a plain lock."""

    def call(fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
        lock = threading.Lock()
        lock.acquire()
        box: list[asyncio.Task[Any]] = []

        def done(task: asyncio.Task[Any]) -> None:
            box.append(task)
            lock.release()

        loop.call_soon_threadsafe(lambda: loop.create_task(fn(*args)).add_done_callback(done))
        lock.acquire()
        return box[0].result()

    return call


def run(report: Report, quick: bool) -> None:
    import anyio.from_thread

    from twelvelabs_embed import AsyncTwelveLabs, TwelveLabs

    os.environ.pop("TWELVELABS_BASE_URL", None)
    calls = 200 if quick else 1000
    reps = 3 if quick else 15
    handoffs = 1000 if quick else 5000
    report.params.update(calls=calls, repetitions=reps, handoffs=handoffs)
    group = f"status x{calls} sequential"
    bare = f"hand-off only x{handoffs} (no I/O)"
    routes = {f"/v1.3/embed/tasks/{TASK_ID}/status": status_body(TASK_ID)}

    with LoopbackServer(routes) as server, ExitStack() as stack, asyncio.Runner() as runner:
        url = server.api_url
        baseline_client = AsyncTwelveLabs(API_KEY, base_url=url)
        sync_client = stack.enter_context(TwelveLabs(API_KEY, base_url=url))

        rcts_loop = stack.enter_context(loop_thread())
        rcts_client = AsyncTwelveLabs(API_KEY, base_url=url)
        lock_loop = stack.enter_context(loop_thread())
        lock_client = AsyncTwelveLabs(API_KEY, base_url=url)
        lock_call = lock_handoff(lock_loop)
        portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
        anyio_client = AsyncTwelveLabs(API_KEY, base_url=url)
        # issue 18's alternative: a loop of the caller's own thread, run only during a call
        own_loop = asyncio.new_event_loop()
        stack.callback(own_loop.close)
        own_client = AsyncTwelveLabs(API_KEY, base_url=url)

        def repeat(n: int, call: Callable[[], Any]) -> Callable[[], None]:
            def loop() -> None:
                for _ in range(n):
                    call()

            return loop

        def in_turn(call: Callable[[], Any]) -> Callable[[], None]:
            return repeat(calls, call)

        async def noop() -> None:
            await asyncio.sleep(0)

        sync_portal = sync_client._portal  # the portal the generated methods call through

        async def baseline_loop() -> None:
            status = baseline_client.embed.tasks.status
            for _ in range(calls):
                await status(TASK_ID)

        cases: list[tuple[Row, Callable[[], None]]] = [
            (Row(group, BASELINE, per=calls), lambda: runner.run(baseline_loop())),
            (
                Row(group, "TwelveLabs (sync, private loop)", baseline=BASELINE, target=1.3, per=calls),
                in_turn(lambda: sync_client.embed.tasks.status(TASK_ID)),
            ),
            (
                Row(group, "ref: run_coroutine_threadsafe + Future.result()", baseline=BASELINE, per=calls),
                in_turn(lambda: asyncio.run_coroutine_threadsafe(rcts_client.embed.tasks.status(TASK_ID), rcts_loop).result()),
            ),
            (
                Row(group, "ref: call_soon_threadsafe + threading.Lock", baseline=BASELINE, per=calls),
                in_turn(lambda: lock_call(lock_client.embed.tasks.status, TASK_ID)),
            ),
            (
                Row(group, "ref: anyio BlockingPortal.call", baseline=BASELINE, per=calls),
                in_turn(lambda: portal.call(anyio_client.embed.tasks.status, TASK_ID)),
            ),
            (
                Row(group, "ref: the caller's own loop (run_until_complete)", baseline=BASELINE, per=calls),
                in_turn(lambda: own_loop.run_until_complete(own_client.embed.tasks.status(TASK_ID))),
            ),
            (Row(bare, "TwelveLabs portal (SimpleQueue)", per=handoffs), repeat(handoffs, lambda: sync_portal.call(noop))),
            (Row(bare, "run_coroutine_threadsafe", baseline="TwelveLabs portal (SimpleQueue)", per=handoffs),
             repeat(handoffs, lambda: asyncio.run_coroutine_threadsafe(noop(), rcts_loop).result())),
            (Row(bare, "call_soon_threadsafe + threading.Lock", baseline="TwelveLabs portal (SimpleQueue)", per=handoffs),
             repeat(handoffs, lambda: lock_call(noop))),
            (Row(bare, "anyio BlockingPortal.call", baseline="TwelveLabs portal (SimpleQueue)", per=handoffs),
             repeat(handoffs, lambda: portal.call(noop))),
            (Row(bare, "the caller's own loop (run_until_complete)", baseline="TwelveLabs portal (SimpleQueue)", per=handoffs),
             repeat(handoffs, lambda: own_loop.run_until_complete(noop()))),
        ]  # fmt: skip
        try:
            for _ in range(2):  # warm-up: connections, lazy imports, model classes
                for _, fn in cases:
                    fn()
            for _ in range(reps):
                for row, fn in cases:
                    gc.collect()
                    t0 = time.perf_counter()
                    fn()
                    row.samples.append(time.perf_counter() - t0)
        finally:
            runner.run(baseline_client.close())
            asyncio.run_coroutine_threadsafe(rcts_client.close(), rcts_loop).result()
            lock_call(lock_client.close)
            portal.call(anyio_client.close)
            own_loop.run_until_complete(own_client.close())

    for row, _ in cases:
        report.add(row)
    report.notes.append(
        "one client per row, each with its own pooled session; rows interleave per repetition; "
        f"client and server share {os.cpu_count()} CPUs"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_sync_overhead")
    parser.add_argument("--quick", action="store_true", help="fewer calls (smoke run)")
    args = parser.parse_args(argv)
    report = Report(NAME, "sync client overhead per call (status)", quick=args.quick)
    run(report, args.quick)
    report.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
