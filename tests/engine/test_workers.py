"""Worker crashes, re-queueing, unexpected errors, and the ``serve`` entry point."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from twelvelabs_embed.local.app_keys import EXECUTOR, STORE, TASK_RUNNER
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.local.executors.base import ExecutorClosed, WorkerCrashed, WorkerTimedOut
from twelvelabs_embed.local.executors.process_pool import ProcessPoolMediaExecutor
from twelvelabs_embed.local.media.task_job import JobResult

from .conftest import form, wait_done

pytestmark = pytest.mark.timeout(60)


async def test_crashed_worker_pool_is_replaced() -> None:
    ex = ProcessPoolMediaExecutor(1)
    try:
        assert await ex.run(pow, 2, 5) == 32
        with pytest.raises(WorkerCrashed):
            await ex.run(os._exit, 3)
        assert await ex.run(pow, 3, 2) == 9  # a fresh pool took over
        assert ex.crashes == 1
    finally:
        await ex.aclose()


class FlakyExecutor:
    """Crashes ``crashes`` times, then answers with one segment."""

    def __init__(self, crashes: int) -> None:
        self.crashes = crashes
        self.calls = 0

    async def run(
        self, fn: Any, *args: Any, timeout: float | None = None, retries: int | None = None
    ) -> Any:
        self.calls += 1
        if self.calls <= self.crashes:
            raise WorkerCrashed("simulated")
        return JobResult(
            4.5, ("visual",), [(0.0, 4.5, "visual", "clip", b"\x00\x00\x80\x3f" * 512)]
        )

    async def aclose(self) -> None:
        pass


@pytest.mark.parametrize(("crashes", "status"), [(2, "ready"), (3, "failed")])
async def test_worker_crash_requeues_then_fails(
    tmp_path: Path, media: dict[str, Path], crashes: int, status: str
) -> None:
    async with LocalEngine(data_dir=tmp_path, workers=1) as eng:
        assert eng.app is not None
        flaky = FlakyExecutor(crashes)
        # Swap the processor's executor; the real pool stays registered for shutdown.
        eng.app[TASK_RUNNER]._executor = flaky
        async with aiohttp.ClientSession(base_url=eng.base_url + "/") as s:
            async with s.post(
                "embed/tasks", data=form(model_name="marengo3.0", video_file=media["good"])
            ) as r:
                task_id = (await r.json())["_id"]
            body = await wait_done(s, task_id)
        assert body["status"] == status and flaky.calls == min(crashes + 1, 3)
        if status == "failed":
            assert body["error"]["code"] == "video_file_broken"
            assert "crashed 3 times" in body["error"]["message"]
        assert [p.name for p in (tmp_path / "media").iterdir()] == []


async def test_unexpected_error_is_json_500(
    engine: LocalEngine, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert engine.app is not None

    async def boom(*a: object, **k: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(engine.app[STORE], "get", boom)
    async with http.get("embed/tasks/66419a20c70bb578439bd8f4/status") as r:
        body = await r.json()
    assert r.status == 500 and body["code"] == "internal_error"
    assert r.headers["X-Request-Id"] in body["message"] and "fire" not in body["message"]


def test_python_m_serves(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "twelvelabs_embed.local", "--port", str(port), "--data-dir",
         str(tmp_path), "--workers", "1", "--api-key", "k", "--log-level", "WARNING"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/v1.3" in line, line

        async def probe() -> tuple[int, int]:
            async with aiohttp.ClientSession() as s:
                async with s.get(f"http://127.0.0.1:{port}/v1.3/embed/tasks") as r:
                    unauth = r.status
                async with s.get(
                    f"http://127.0.0.1:{port}/v1.3/embed/tasks", headers={"x-api-key": "k"}
                ) as r:
                    return unauth, r.status

        assert asyncio.run(probe()) == (401, 200)
    finally:
        proc.terminate()
        code = proc.wait(timeout=20)  # a hang guard: TimeoutExpired fails the test
        proc.stdout.close()  # type: ignore[union-attr]
    assert code == 0, "SIGTERM should stop the engine cleanly"
    assert (tmp_path / "tasks.sqlite3").exists()


async def test_a_job_past_its_time_limit_stops_its_worker() -> None:
    ex = ProcessPoolMediaExecutor(1)
    try:
        # The job would run for an hour: only the time limit can end it with this error.
        with pytest.raises(WorkerTimedOut):
            await ex.run(time.sleep, 3600, timeout=0.5)
        assert await ex.run(pow, 2, 3) == 8  # a fresh pool took over
    finally:
        await ex.aclose()


async def test_a_hung_decoder_fails_its_task_and_the_engine_goes_on(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    """A worker frozen with SIGSTOP stands in for a decoder that never returns."""
    import signal

    import attrs

    async with LocalEngine(data_dir=tmp_path, workers=1) as eng:
        assert eng.app is not None
        processor = eng.app[TASK_RUNNER]
        patient = processor._settings  # the default limit: a loaded machine cannot meet it
        async with aiohttp.ClientSession(base_url=eng.base_url + "/") as s:

            async def embed() -> dict[str, Any]:
                async with s.post(
                    "embed/tasks", data=form(model_name="marengo3.0", video_file=media["good"])
                ) as r:
                    task_id = (await r.json())["_id"]
                return await wait_done(s, task_id, timeout=30)

            # start the pool outside any job's time limit: under load, starting the
            # workers alone can take longer than the time this test allows a job
            assert await eng.app[EXECUTOR].run(pow, 2, 3) == 8
            pool = eng.app[TASK_RUNNER]._executor._pool
            frozen = [p.pid for p in pool._processes.values()]
            for pid in frozen:
                os.kill(pid, signal.SIGSTOP)
            # Only the frozen worker's job meets a short limit (it can never finish anyway).
            processor._settings = attrs.evolve(patient, job_timeout_sec=2.0)
            hung = await embed()
            processor._settings = patient
            assert hung["status"] == "failed"
            assert hung["error"]["code"] == "video_file_broken"
            assert "stopped responding" in hung["error"]["message"]
            assert (await embed())["status"] == "ready"  # a fresh pool took over
        for _ in range(50):  # the frozen workers were killed, not left behind
            if all(_gone(pid) for pid in frozen):
                break
            await asyncio.sleep(0.1)
        assert all(_gone(pid) for pid in frozen)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _pool_manager_threads(ex: ProcessPoolMediaExecutor) -> list[threading.Thread]:
    """This executor's pool's manager thread (not other tests' pools, which live on)."""
    pool = ex._pool
    thread = getattr(pool, "_executor_manager_thread", None)
    return [thread] if isinstance(thread, threading.Thread) else []


@pytest.mark.parametrize("how", ["crash", "aclose"])
async def test_a_cancelled_wait_on_a_queued_job_leaves_the_pool_manager_alive(how: str) -> None:
    """Cancelling the wait for a job still queued, then losing the pool, raises nothing.

    CPython 3.11's pool manager thread fails every job of a broken pool with
    ``set_exception``, which raises ``InvalidStateError`` on a future that a cancelled wait
    had cancelled; the thread dies and pytest reports the thread's exception (an error here).
    """
    ex = ProcessPoolMediaExecutor(1)
    try:
        worker = await ex.run(os.getpid)  # the pool's one worker
        # One job holds the worker; the pool's call queue (max_workers + 1 slots) takes the
        # next two, so the fourth stays pending, where a cancel of its future succeeds.
        held = [asyncio.create_task(ex.run(time.sleep, 3600)) for _ in range(3)]
        queued = asyncio.create_task(ex.run(time.sleep, 3600))
        await asyncio.sleep(0)  # every run() has submitted its job
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        managers = _pool_manager_threads(ex)
        assert managers, "the pool has a manager thread"
        if how == "crash":
            os.kill(worker, signal.SIGKILL)  # the pool breaks: its jobs fail as crashed
            for task in held:
                with pytest.raises(WorkerCrashed):
                    await task
        else:
            await ex.aclose()  # the engine stopping: the workers are terminated
            for task in held:
                with pytest.raises(ExecutorClosed):
                    await task
        for thread in managers:  # an exception in it would be reported when it ends
            await asyncio.to_thread(thread.join, 30)
            assert not thread.is_alive()
    finally:
        await ex.aclose()


async def test_jobs_queued_behind_a_timed_out_job_still_run() -> None:
    """Stopping a pool for one job's time limit drops the jobs still queued on it; those
    never ran, so they run on the fresh pool instead of failing (or being cancelled)."""
    ex = ProcessPoolMediaExecutor(1)
    try:
        hung = asyncio.create_task(ex.run(time.sleep, 3600, timeout=0.5))
        # The call queue takes the next two (they fail as crashed or run on the fresh
        # pool); the last one is still pending when the pool is stopped.
        behind = [asyncio.create_task(ex.run(pow, 2, n)) for n in range(3)]
        with pytest.raises(WorkerTimedOut):
            await hung
        outcomes = await asyncio.gather(*behind, return_exceptions=True)
        assert outcomes[-1] == 4
        assert all(o == 2**n or isinstance(o, WorkerCrashed) for n, o in enumerate(outcomes))
    finally:
        await ex.aclose()


async def test_aclose_waits_for_the_pools_it_replaced() -> None:
    """A pool stopped for a job's time limit is replaced at once; its manager thread winds
    down on its own. ``aclose`` waits for it too: a manager thread still closing its pipe
    when the interpreter exits made CPython's exit hook fail with EBADF (seen at Ctrl-C)."""
    ex = ProcessPoolMediaExecutor(1)
    try:
        await ex.run(os.getpid)
        threads = _pool_manager_threads(ex)
        with pytest.raises(WorkerTimedOut):
            await ex.run(time.sleep, 3600, timeout=0.5)
        assert await ex.run(pow, 2, 3) == 8  # on the fresh pool
        threads += _pool_manager_threads(ex)
        assert len(threads) == 2
    finally:
        await ex.aclose()
    assert not any(t.is_alive() for t in threads)
