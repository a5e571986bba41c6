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
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from tests.videos import make_video

pytestmark = pytest.mark.timeout(150)

KEY = "tlk_crash"
URL_LINE = re.compile(r"(http://127\.0\.0\.1:\d+/v1\.3)")


class EngineProcess:
    """One ``python -m twelvelabs_embed.local`` subprocess and every process it starts."""

    def __init__(self, data_dir: Path, workers: int = 1) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "twelvelabs_embed.local", "--port", "0", "--data-dir",
             str(data_dir), "--workers", str(workers), "--api-key", KEY, "--log-level", "WARNING"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = URL_LINE.search(line)
        assert match, f"no URL in {line!r}"
        self.base_url = match.group(1)
        self.port = int(self.base_url.split(":")[2].split("/")[0])
        self.session = requests.Session()
        self.session.headers["x-api-key"] = KEY
        self.seen: set[int] = set()

    def descendants(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.NoSuchProcess):
            kids = psutil.Process(self.proc.pid).children(recursive=True)
            self.seen.update(k.pid for k in kids)
            return kids
        return []

    def workers(self) -> list[psutil.Process]:
        """Pool workers: the forkserver's children (the forkserver itself is spared)."""
        out = []
        for p in self.descendants():
            with contextlib.suppress(psutil.NoSuchProcess):
                if p.ppid() != self.proc.pid:
                    out.append(p)
        return out

    def kill9(self) -> None:
        self.descendants()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.reap()

    def reap(self) -> None:
        """Kill any process this engine started that outlived it (by pid, ours only)."""
        for pid in self.seen:
            with contextlib.suppress(psutil.NoSuchProcess):
                p = psutil.Process(pid)
                p.kill()
                p.wait(timeout=10)

    def stop(self) -> None:
        self.session.close()
        if self.proc.poll() is None:
            self.descendants()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self.reap()

    # --- API ---------------------------------------------------------------------------------

    def create(self, video: Path, **fields: str) -> str:
        files: list[tuple[str, Any]] = [("model_name", (None, "marengo3.0"))]
        files += [(k, (None, v)) for k, v in fields.items()]
        files.append(("video_file", (video.name, video.read_bytes(), "video/mp4")))
        r = self.session.post(self.base_url + "/embed/tasks", files=files, timeout=60)
        assert r.status_code == 200, r.text
        return str(r.json()["_id"])

    def status(self, task_id: str) -> dict[str, Any]:
        r = self.session.get(f"{self.base_url}/embed/tasks/{task_id}/status", timeout=30)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def wait_all(self, ids: list[str], timeout: float = 90) -> dict[str, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            finals = {t: self.status(t) for t in ids}
            if all(b["status"] != "processing" for b in finals.values()):
                return finals
            assert time.monotonic() < deadline, {t: b["status"] for t, b in finals.items()}
            time.sleep(0.1)

    def retrieve(self, task_id: str) -> dict[str, Any]:
        r = self.session.get(f"{self.base_url}/embed/tasks/{task_id}", timeout=30)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


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
        deadline = time.monotonic() + 10
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
        deadline = time.monotonic() + 20
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
    from twelvelabs_embed.local.workers import ProcessPoolMediaExecutor

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
