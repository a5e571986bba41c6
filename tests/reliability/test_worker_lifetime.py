"""The engine's worker processes live exactly as long as the engine (issue #20 item 9).

``kill -9`` of the engine's main process (the OOM killer, a crash) must take every worker
with it, busy or idle: an orphan keeps decoding at full CPU with no time limit, and a
restart on the same data dir decodes the same video a second time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.reliability.engine_proc import EngineProcess
from tests.videos import make_video

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def engines() -> Iterator[list[EngineProcess]]:
    started: list[EngineProcess] = []
    yield started
    for e in started:
        e.stop()  # reaps by pid whatever this engine started, should a test fail


@pytest.fixture(scope="module")
def long_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lifetime-media") / "long.mp4"
    return make_video(path, width=640, height=360, duration=40, fps=24)


def _alive(pids: set[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _wait_gone(pids: set[int], timeout: float = 60.0) -> list[int]:
    """Pids still alive after ``timeout`` (a bound on a wait, not on how fast they go)."""
    deadline = time.monotonic() + timeout
    while (alive := _alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


@pytest.mark.parametrize("busy", [True, False], ids=["mid-decode", "idle"])
def test_kill9_engine_takes_its_workers_along(
    tmp_path: Path, long_video: Path, engines: list[EngineProcess], busy: bool
) -> None:
    e = EngineProcess(tmp_path / "data", workers=2)
    engines.append(e)
    task_id = e.create(long_video, video_clip_length="2")
    if busy:  # the decode pool has a worker while the task is still processing
        deadline = time.monotonic() + 60
        while not e.workers() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert e.status(task_id)["status"] == "processing", "the task finished too soon"
    else:
        assert e.wait_all([task_id])[task_id]["status"] == "ready"
    workers = {w.pid for w in e.workers()}
    assert workers, "no worker to watch"
    e.descendants()
    everyone = set(e.seen)
    e.proc.kill()
    e.proc.wait(timeout=10)
    assert _wait_gone(everyone) == [], "workers outlived the engine"


def _sigint_storm(rounds: int) -> str:
    """Run ``sigint_storm`` in its own session and SIGINT its whole group until it ends."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.sigint_storm", str(rounds)],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "ready"
        sent = 0
        while proc.poll() is None and sent < 200_000:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
            sent += 1
            time.sleep(0.0005)  # pacing the flood, not waiting for anything
        out = proc.stdout.read()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        proc.stdout.close()
    assert proc.returncode == 0, out
    return out.strip()


def test_ctrl_c_flood_while_workers_start_kills_none_of_them() -> None:
    """Ctrl-C reaches the whole process group, including workers still starting (before
    their initializer ran): none may die of it, or the engine logs a crash and restarts
    work while the CLI shuts down."""
    assert _sigint_storm(30) == "crashed=0 started=30"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_workers_are_born_with_sigint_blocked(
    tmp_path: Path, long_video: Path, engines: list[EngineProcess]
) -> None:
    """The property behind the flood test: the fork server (so every worker it forks)
    starts with SIGINT blocked, and a running worker ignores it."""
    e = EngineProcess(tmp_path / "data", workers=1)
    engines.append(e)
    e.wait_all([e.create(long_video, video_clip_length="10")])
    sigint = 1 << (signal.SIGINT - 1)
    for p in e.descendants():
        status = Path(f"/proc/{p.pid}/status").read_text()
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        blocked, ignored = int(fields["SigBlk"], 16), int(fields["SigIgn"], 16)
        assert (blocked | ignored) & sigint, (p.cmdline(), fields["SigBlk"], fields["SigIgn"])
