"""The sync client's private loop: threads, running loops, callbacks, Ctrl-C, fork, GC, close."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import twelvelabs_embed as tl
from tests.engine_double import URL
from twelvelabs_embed._portal import Portal
from twelvelabs_embed.testing.pytest_plugin import EngineHandle

ROOT = Path(__file__).resolve().parents[2]


def _task(client: tl.TwelveLabs, clip: bytes) -> str:
    """A real task the engine finishes on its own (lifecycle ``auto``)."""
    created = client.embed.tasks.create("marengo3.0", video_file=clip)
    assert created.id
    return created.id


def _loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.endswith("-event-loop")]


# --- calling from anywhere ------------------------------------------------------------


def test_calls_from_many_threads_at_once(sync_client: tl.TwelveLabs, clip: bytes) -> None:
    ids = [_task(sync_client, clip) for _ in range(4)]

    def work(n: int) -> list[str | None]:
        return [sync_client.embed.tasks.status(ids[(n + i) % 4]).id for i in range(25)]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    assert all(r == [ids[(n + i) % 4] for i in range(25)] for n, r in enumerate(results))


async def test_works_inside_a_running_event_loop(sync_client: tl.TwelveLabs, clip: bytes) -> None:
    """A notebook cell or an async handler calling sync code: the caller's loop is running."""
    asyncio.get_running_loop()  # there is one, and the sync call below blocks it on purpose
    task_id = _task(sync_client, clip)
    assert sync_client.embed.tasks.status(task_id).id == task_id
    assert [t.id for t in sync_client.embed.tasks.list()] == [task_id]


def test_works_from_a_thread_running_its_own_loop(sync_client: tl.TwelveLabs, clip: bytes) -> None:
    async def handler() -> tuple[str, str | None]:
        task_id = _task(sync_client, clip)
        return task_id, sync_client.embed.tasks.status(task_id).id

    with ThreadPoolExecutor(1) as pool:
        task_id, seen = pool.submit(asyncio.run, handler()).result(10)
    assert seen == task_id


def test_client_surface_and_settings(engine: EngineHandle) -> None:
    client = tl.TwelveLabs(engine.api_key, base_url=engine.base_url)
    try:
        assert (client.api_key, client.base_url) == (engine.api_key, engine.base_url)
        assert isinstance(client.embed.tasks.list(), tl.SyncPager)
    finally:
        client.close()
    with pytest.raises(tl.TwelveLabsError, match="No API key"):
        tl.TwelveLabs(base_url=None)


# --- callbacks and iterators --------------------------------------------------------------


def test_callbacks_run_in_the_calling_thread(
    engine: EngineHandle, sync_client: tl.TwelveLabs, clip: bytes
) -> None:
    engine.control.lifecycle.set("manual")  # URL tasks are never fetched
    task_id = _task(sync_client, clip)
    threads: list[int] = []

    def callback(status: tl.TasksStatusResponse) -> None:
        threads.append(threading.get_ident())
        if len(threads) == 1:  # processing at the first poll, ready at the second
            assert engine.control.tasks.complete(task_id) == "ready"

    final = sync_client.embed.tasks.wait_for_done(task_id, sleep_interval=0.02, callback=callback)
    assert final.status == "ready"
    assert threads == [threading.get_ident()] * 2

    sent: list[tuple[int, int]] = []
    sync_client.embed.tasks.create(
        "marengo3.0",
        video_file=clip,
        on_upload_progress=lambda s, t: sent.append((s, threading.get_ident())),
    )
    assert sent[-1][0] == len(clip) and {t for _, t in sent} == {threading.get_ident()}

    results: list[int] = []
    sync_client.embed.tasks.create_bulk(
        [{"video_url": URL}] * 3, on_result=lambda r: results.append(threading.get_ident())
    )
    assert results == [threading.get_ident()] * 3


def test_callbacks_of_an_iterator_run_in_the_thread_calling_next(
    sync_client: tl.TwelveLabs, clip: bytes
) -> None:
    ids = [_task(sync_client, clip) for _ in range(2)]
    seen: list[int] = []
    finals = sync_client.embed.tasks.as_completed(
        ids, sleep_interval=0.02, callback=lambda s: seen.append(threading.get_ident())
    )
    with ThreadPoolExecutor(1) as pool:
        worker = pool.submit(lambda: (threading.get_ident(), [s.id for s in finals])).result(10)
    ident, order = worker
    assert sorted(order) == sorted(ids)
    assert seen and set(seen) == {ident}


def test_a_callback_may_call_the_client_again(sync_client: tl.TwelveLabs, clip: bytes) -> None:
    task_id = _task(sync_client, clip)
    inner: list[str | None] = []
    sync_client.embed.tasks.wait_for_done(
        task_id,
        sleep_interval=0.02,
        callback=lambda s: inner.append(sync_client.embed.tasks.status(task_id).status),
    )
    assert inner and inner[-1] == "ready"


def test_a_callback_error_surfaces_from_the_call(sync_client: tl.TwelveLabs, clip: bytes) -> None:
    task_id = _task(sync_client, clip)

    def boom(status: tl.TasksStatusResponse) -> None:
        raise LookupError("from the callback")

    with pytest.raises(LookupError, match="from the callback"):
        sync_client.embed.tasks.wait_for_done(task_id, callback=boom)
    assert sync_client.embed.tasks.status(task_id).id == task_id  # the client still works


def test_coroutine_callbacks_run_on_the_private_loop(
    sync_client: tl.TwelveLabs, clip: bytes
) -> None:
    task_id = _task(sync_client, clip)
    seen: list[str | None] = []

    async def callback(status: tl.TasksStatusResponse) -> None:
        await asyncio.sleep(0)
        seen.append(status.status)
        with pytest.raises(RuntimeError, match="own event loop thread"):
            sync_client.embed.tasks.status(task_id)  # would deadlock: refused instead

    sync_client.embed.tasks.wait_for_done(task_id, sleep_interval=0.02, callback=callback)
    assert seen[-1] == "ready"


def test_breaking_out_of_an_iterator_closes_the_async_generator() -> None:
    events: list[str] = []

    async def numbers() -> AsyncIterator[int]:
        try:
            for i in range(100):
                yield i
        finally:
            events.append(f"closed in {threading.current_thread().name}")

    portal = Portal()
    try:
        for i in portal.iterate(numbers()):
            if i == 2:
                break
        assert events == ["closed in twelvelabs-event-loop"]
        assert list(portal.iterate(numbers())) == list(range(100))
    finally:
        portal.close()


def test_pager_iterates_pages_and_items(sync_client: tl.TwelveLabs, clip: bytes) -> None:
    ids = {_task(sync_client, clip) for _ in range(5)}
    pager = sync_client.embed.tasks.list(page_limit=2)
    pages = list(pager.iter_pages())
    assert [p.page for p in pages] == [1, 2, 3] and all(isinstance(p, tl.SyncPager) for p in pages)
    assert {t.id for t in pager} == ids == {t.id for t in pager.iter_items()}
    last = pages[-1]
    assert not last.has_next and last.next_page() is None
    second = pager.next_page()
    assert second is not None and second.page == 2 and len(second.items) == 2


# --- closing --------------------------------------------------------------------------------


def test_close_twice_and_use_after_close(engine: EngineHandle) -> None:
    before = len(_loop_threads())
    client = tl.TwelveLabs(engine.api_key, base_url=engine.base_url)
    assert len(_loop_threads()) == before + 1
    client.embed.tasks.list()
    client.close()
    client.close()
    assert len(_loop_threads()) == before
    with pytest.raises(tl.TwelveLabsError, match="closed"):
        client.embed.tasks.status("t")
    with tl.TwelveLabs(engine.api_key, base_url=engine.base_url) as other:
        other.embed.tasks.list()
    assert len(_loop_threads()) == before


def test_close_cancels_a_call_running_in_another_thread(engine: EngineHandle) -> None:
    engine.control.faults.add("task_status", latency_ms=5000, count=1)
    client = tl.TwelveLabs(engine.api_key, base_url=engine.base_url, timeout=None)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(client.embed.tasks.status, "0" * 24)
        while not engine.control.requests.list(route="task_status"):  # it has arrived
            time.sleep(0.01)
        client.close()
        # The engine answers after 5 s (a 404): only the close can end the call this way.
        with pytest.raises(tl.TwelveLabsError, match="closed while the call was running"):
            running.result(10)


# --- processes: Ctrl-C, fork, garbage collection ----------------------------------------------


def _run_python(code: str, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-X", "dev", "-c", textwrap.dedent(code), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


class HangingServer:
    """Accepts a connection, reads the request, never answers; notes when the client hangs up."""

    def __init__(self) -> None:
        self.got_request = threading.Event()
        self.hung_up = threading.Event()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        handlers = asyncio.all_tasks(self._loop)
        for task in handlers:  # a connection still open (a test that failed early)
            task.cancel()
        if handlers:
            self._loop.run_until_complete(asyncio.wait(handlers))
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            self.got_request.set()
            while await reader.read(1024):
                pass
            self.hung_up.set()
        except asyncio.CancelledError:  # the server stops with the connection open
            pass
        finally:  # on every path: no socket is left for the GC to warn about
            writer.close()
            with contextlib.suppress(ConnectionError):  # a reset by the client is fine
                await writer.wait_closed()

    def __enter__(self) -> HangingServer:
        self._thread.start()
        assert self._ready.wait(60), "the server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(60)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_cancels_the_request_and_raises_keyboard_interrupt() -> None:
    code = """
        import sys, time
        from twelvelabs_embed import TwelveLabs
        client = TwelveLabs("k", base_url=sys.argv[1], timeout=None)
        print("calling", flush=True)
        start = time.monotonic()
        try:
            client.embed.tasks.status("t")
        except KeyboardInterrupt:
            print(f"interrupted after {time.monotonic() - start:.2f}", flush=True)
            client.close()
            print("closed", flush=True)
            raise
    """
    with HangingServer() as server:
        proc = _run_python(code, f"http://127.0.0.1:{server.port}/v1.3")
        try:
            # Generous hang guards: a child importing the package on a loaded machine
            # can take many seconds to send its request.
            assert server.got_request.wait(120), "the request never arrived"
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=120)  # the server never answers: a hang guard
        finally:
            proc.kill()
            proc.communicate()  # reap the child and close its pipes
        assert server.hung_up.wait(60), "the connection stayed open"
    assert "interrupted after" in out and "closed" in out, err
    assert "KeyboardInterrupt" in err
    assert proc.returncode != 0
    assert "Unclosed" not in err and "Task was destroyed" not in err, err


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_clear_error(engine: EngineHandle) -> None:
    code = """
        import os, sys
        from twelvelabs_embed import TwelveLabs
        client = TwelveLabs(sys.argv[2], base_url=sys.argv[1])
        client.embed.tasks.list()
        pid = os.fork()
        if pid == 0:
            try:
                client.embed.tasks.list()
            except RuntimeError as exc:
                print("child:", exc, flush=True)
                os._exit(0 if "create a new client in the child" in str(exc) else 3)
            os._exit(4)
        _, status = os.waitpid(pid, 0)
        client.embed.tasks.list()  # the parent's client is untouched
        client.close()
        print("parent ok", flush=True)
        sys.exit(os.waitstatus_to_exitcode(status))
    """
    proc = _run_python(code, engine.base_url, engine.api_key)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, (out, err)
    assert "created before fork" in out and "parent ok" in out


@pytest.mark.parametrize("how", ["gc", "exit"])
def test_an_unclosed_client_is_cleaned_up_quietly(engine: EngineHandle, how: str) -> None:
    code = """
        import gc, sys, threading, time
        from twelvelabs_embed import TwelveLabs
        client = TwelveLabs(sys.argv[3], base_url=sys.argv[1])
        pager = client.embed.tasks.list()  # a live session with a pooled connection
        if sys.argv[2] == "gc":
            start = time.monotonic()
            del client, pager
            gc.collect()
            alive = [t.name for t in threading.enumerate() if t.name.endswith("-event-loop")]
            print(f"collected in {time.monotonic() - start:.2f} s; loop threads {alive}")
    """
    proc = _run_python(code, engine.base_url, how, engine.api_key)
    out, err = proc.communicate(timeout=30)  # a hang guard; the portal's waits are bounded
    assert proc.returncode == 0, err
    assert "Unclosed" not in err and "Exception ignored" not in err, err
    if how == "gc":
        assert "loop threads []" in out, out
