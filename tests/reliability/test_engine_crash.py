"""Crashes: ``kill -9`` the engine's server process mid-task (and mid-upload), kill its
worker processes mid-task, restart on the same data dir, and every task still reaches
``ready`` or ``failed`` with a reason. No task is lost, none is stuck in ``processing``.

The engine runs as ``python -m twelvelabs_embed.local --port 0`` in a subprocess; it
prints its URL (with the port it got) on the first line of stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.reliability.engine_proc import KEY, EngineProcess
from tests.videos import make_video

pytestmark = pytest.mark.timeout(150)


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[list[EngineProcess]]:
    started: list[EngineProcess] = []
    yield started
    for e in started:
        e.stop()
    leftovers = [pid for e in started for pid in e.seen if psutil.pid_exists(pid)]
    leftovers = [p for p in leftovers if psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert leftovers == [], "engine processes outlived the test"


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash-media") / "v.mp4"
    return make_video(path, width=640, height=360, duration=12, fps=12, audio=True)


def assert_finished_properly(e: EngineProcess, finals: dict[str, dict[str, Any]]) -> None:
    for task_id, body in finals.items():
        assert body["status"] in ("ready", "failed"), body
        if body["status"] == "failed":
            assert body["error"]["code"] and body["error"]["message"], body
        else:
            segments = e.retrieve(task_id)["video_embedding"]["segments"]
            assert segments and all(len(s["float"]) == 512 for s in segments)


def test_kill9_server_mid_task_then_restart(
    tmp_path: Path, video: Path, engines: list[EngineProcess]
) -> None:
    data = tmp_path / "data"
    first = EngineProcess(data)
    engines.append(first)
    ids = [
        first.create(video, video_clip_length="2", video_embedding_scope="video") for _ in range(8)
    ]
    # wait until the worker is busy and some tasks are still queued, then kill -9
    deadline = time.monotonic() + 30
    while not first.workers() and time.monotonic() < deadline:
        time.sleep(0.02)
    statuses = [first.status(t)["status"] for t in ids]
    first.kill9()
    assert "processing" in statuses, "the kill came too late to be mid-task"

    second = EngineProcess(data)
    engines.append(second)
    finals = second.wait_all(ids)
    assert_finished_properly(second, finals)
    assert all(b["status"] == "ready" for b in finals.values()), finals
    assert sorted(p.name for p in (data / "media").iterdir()) == []


def test_kill9_server_mid_upload_leaves_nothing_behind(
    tmp_path: Path, video: Path, engines: list[EngineProcess]
) -> None:
    """The server dies while a 20 MB upload streams in: after a restart the half-written
    file is gone, the request left no task, and the engine takes new uploads."""
    data = tmp_path / "data"
    first = EngineProcess(data)
    engines.append(first)
    head = (
        f"POST /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\nx-api-key: {KEY}\r\n"
        "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 20000300\r\n\r\n"
        '--B\r\nContent-Disposition: form-data; name="model_name"\r\n\r\nmarengo3.0\r\n'
        '--B\r\nContent-Disposition: form-data; name="video_file"; filename="v.mp4"\r\n\r\n'
    ).encode()
    with socket.create_connection(("127.0.0.1", first.port), timeout=10) as s:
        s.sendall(head + b"\x00" * 4_000_000)
        deadline = time.monotonic() + 60  # a hang guard
        while not list((data / "media").glob("*.upload")) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert list((data / "media").glob("*.upload")), "the upload never reached the disk"
        first.kill9()

    second = EngineProcess(data)
    engines.append(second)
    r = second.session.get(second.base_url + "/embed/tasks", timeout=10)
    assert r.json()["page_info"]["total_results"] == 0
    task_id = second.create(video)
    assert_finished_properly(second, second.wait_all([task_id]))
    assert sorted(p.name for p in (data / "media").iterdir()) == []


def test_kill_workers_mid_task(tmp_path: Path, video: Path, engines: list[EngineProcess]) -> None:
    """SIGKILL every media worker (decode pool and upload prober) while tasks run: the
    crashed job is re-queued, the pools are replaced, new uploads are still probed
    correctly, and every task ends ``ready``."""
    data = tmp_path / "data"
    e = EngineProcess(data, workers=2)
    engines.append(e)
    ids = [e.create(video, video_clip_length="2") for _ in range(6)]
    killed = 0
    for _ in range(3):  # three rounds of kills, each while work is queued
        deadline = time.monotonic() + 60  # a hang guard
        while not e.workers() and time.monotonic() < deadline:
            time.sleep(0.02)
        for w in e.workers():
            with contextlib.suppress(psutil.NoSuchProcess):
                os.kill(w.pid, signal.SIGKILL)
                killed += 1
        ids.append(e.create(video, video_clip_length="2"))  # the prober must come back
    assert killed >= 3
    finals = e.wait_all(ids)
    assert_finished_properly(e, finals)
    # a task is failed only after its worker crashed three times; here kills are spread out
    assert sum(b["status"] == "ready" for b in finals.values()) >= len(ids) - 1, finals
    assert e.proc.poll() is None, "the server must survive its workers"


async def test_worker_killed_while_idle_does_not_fail_the_next_job() -> None:
    """The job submitted after an idle worker died never ran, so it must not be reported
    as a crash (the prober used to refuse a good upload as ``video_file_broken``)."""
    from twelvelabs_embed.local.executors.process_pool import ProcessPoolMediaExecutor

    ex = ProcessPoolMediaExecutor(1)
    try:
        assert await ex.run(os.getpid) != os.getpid()
        assert ex._pool is not None
        (worker,) = ex._pool._processes.values()  # type: ignore[attr-defined]
        worker.kill()
        worker.join(timeout=10)
        for _ in range(100):  # the pool notices the death on its own thread
            pool = ex._pool
            if pool is not None and getattr(pool, "_broken", False):
                break
            await asyncio.sleep(0.02)
        assert await ex.run(pow, 2, 10) == 1024
        assert ex.crashes == 1
    finally:
        await ex.aclose()
