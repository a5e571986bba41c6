"""Limits: a 2 GB + 1 byte upload, a full disk, an unwritable data directory.

* The oversized upload streams a sparse file through a raw aiohttp request against the
  engine's default limit; the engine (a subprocess) is watched the whole time: its RSS
  must stay flat and its data directory must never hold more than the limit.
* Disk full: the real thing first, a small ``tmpfs`` mounted under the data directory,
  which gives ``ENOSPC``; where mounting is not permitted (CI runners are not root) the
  stand-in is ``RLIMIT_FSIZE`` on the engine process, which gives ``EFBIG`` on the same
  write. Both run here when they can; each test id says which one it is.
* Unwritable data dir: root ignores file modes, so the cases are a path whose parent is
  a regular file (works for anyone), a read-only ``tmpfs`` (root), a data dir remounted
  read-only while the engine runs (root), and ``chmod`` when not root.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import psutil
import pytest

from tests.reliability.engine_proc import KEY, EngineProcess
from tests.videos import make_video
from twelvelabs_embed.video_rules import MAX_FILE_SIZE_BYTES

pytestmark = pytest.mark.timeout(150)
MiB = 1024 * 1024


@contextlib.contextmanager
def tmpfs(path: Path, size_mib: int, *, read_only: bool = False) -> Iterator[bool]:
    """Mount a tmpfs at ``path``; yields False (and mounts nothing) where not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    opts = f"size={size_mib}m" + (",ro" if read_only else "")
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def disk_usage(root: Path) -> int:
    """Bytes really allocated under ``root`` (sparse holes do not count)."""
    total = 0
    for dirpath, _, names in os.walk(root):
        for n in names:
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(dirpath, n)).st_blocks * 512
    return total


class Watch:
    """Samples the engine's RSS (server and workers) and its data dir's disk use."""

    def __init__(self, engine: EngineProcess, data: Path) -> None:
        self.engine, self.data = engine, data
        self.rss_base = self.rss()
        self.rss_peak = self.rss_base
        self.disk_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        procs = [psutil.Process(self.engine.proc.pid), *self.engine.descendants()]
        total = 0
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.rss_peak = max(self.rss_peak, self.rss())
            self.disk_peak = max(self.disk_peak, disk_usage(self.data))

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def engines() -> Iterator[list[EngineProcess]]:
    started: list[EngineProcess] = []
    yield started
    for e in started:
        e.stop()


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
    return path


async def upload(base_url: str, path: Path) -> tuple[int | None, dict[str, str] | str]:
    """Stream ``path`` as ``video_file``; (status, JSON body) or (None, why it broke)."""
    timeout = aiohttp.ClientTimeout(total=120, sock_read=60)
    async with aiohttp.ClientSession(timeout=timeout, headers={"x-api-key": KEY}) as s:
        with open(path, "rb") as f:
            form = aiohttp.FormData()
            form.add_field("model_name", "marengo3.0")
            form.add_field("video_file", f, filename="big.mp4", content_type="video/mp4")
            try:
                async with s.post(base_url + "/embed/tasks", data=form) as r:
                    return r.status, await r.json()
            except aiohttp.ClientError as exc:
                return None, f"{type(exc).__name__}: {exc}"


@pytest.mark.slow
async def test_upload_of_2gb_plus_one_byte_is_refused_while_streaming(
    tmp_path: Path, engines: list[EngineProcess]
) -> None:
    data = tmp_path / "data"
    engine = EngineProcess(data)
    engines.append(engine)
    big = sparse(tmp_path / "big.mp4", MAX_FILE_SIZE_BYTES + 1)
    start = time.monotonic()
    with Watch(engine, data) as watch:
        status, body = await upload(engine.base_url, big)
    elapsed = time.monotonic() - start
    # The refusal is sent as the byte past the limit arrives; the client has sent it all.
    assert status == 400, body
    assert isinstance(body, dict) and body["code"] == "video_filesize_too_large", body
    assert str(MAX_FILE_SIZE_BYTES) in body["message"] or "2 GB" in body["message"]
    growth = (watch.rss_peak - watch.rss_base) / MiB
    assert growth < 100, f"engine RSS grew by {growth:.0f} MiB"
    assert watch.disk_peak <= MAX_FILE_SIZE_BYTES + 8 * MiB, watch.disk_peak
    assert list((data / "media").iterdir()) == [], "the partial upload was left behind"
    r = engine.session.get(engine.base_url + "/embed/tasks", timeout=10)
    assert r.json()["page_info"]["total_results"] == 0
    print(
        f"2 GiB + 1: refused in {elapsed:.1f} s, RSS +{growth:.0f} MiB, disk peak {watch.disk_peak / MiB:.0f} MiB"
    )


# --- disk full ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("limits-media") / "v.mp4"
    return make_video(path, width=480, height=360, duration=4.5, fps=8)


@pytest.mark.parametrize("how", ["tmpfs-enospc", "rlimit-efbig"])
async def test_disk_full_is_a_clear_507_and_the_engine_recovers(
    tmp_path: Path, engines: list[EngineProcess], video: Path, how: str
) -> None:
    data = tmp_path / "data"
    with (
        tmpfs(data, 12, read_only=False)
        if how == "tmpfs-enospc"
        else contextlib.nullcontext(True) as ok
    ):  # type: ignore[attr-defined]
        if not ok:
            pytest.skip("mounting a tmpfs is not permitted here; rlimit-efbig covers it")
        limit = None if how == "tmpfs-enospc" else 12 * MiB
        engine = EngineProcess(data, file_size_limit=limit)
        engines.append(engine)
        big = sparse(tmp_path / "big.mp4", 40 * MiB)  # fits the 2 GB rule, not the disk
        status, body = await upload(engine.base_url, big)
        assert status == 507, body
        assert isinstance(body, dict) and body["code"] == "insufficient_storage", body
        expected = "No space left" if how == "tmpfs-enospc" else "File too large"
        assert expected in body["message"] and "data directory" in body["message"], body
        assert list((data / "media").iterdir()) == [], "the partial upload was left behind"
        # space is back: a real video is accepted and embedded
        task_id = engine.create(video)
        finals = engine.wait_all([task_id])
        assert finals[task_id]["status"] == "ready", finals
        engine.stop()
        engines.remove(engine)


# --- unwritable data dir --------------------------------------------------------------------


def serve(data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twelvelabs_embed.local", "--port", "0", "--data-dir", str(data),
         "--workers", "1", "--log-level", "WARNING"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_data_dir_under_a_regular_file_is_a_clear_startup_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    done = serve(tmp_path / "file" / "data")
    assert done.returncode == 1
    assert "cannot start" in done.stderr and "Not a directory" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_read_only_data_dir_is_a_clear_startup_error(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    with tmpfs(ro, 4, read_only=True) as mounted:
        if not mounted:
            if os.geteuid() == 0:
                pytest.skip("root ignores file modes and mounting is not permitted here")
            ro.mkdir(exist_ok=True)
            ro.chmod(0o500)
        done = serve(ro / "data")
        if not mounted:
            ro.chmod(0o700)
    assert done.returncode == 1, done.stdout
    assert "cannot start" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert "Read-only file system" in done.stderr or "Permission denied" in done.stderr


async def test_media_dir_turning_read_only_while_serving(
    tmp_path: Path, engines: list[EngineProcess], video: Path
) -> None:
    """A read-only file system is mounted over the running engine's ``media/``: an upload
    gets a clear 507, tasks already stored stay readable, and new uploads work again once
    it is gone."""
    data = tmp_path / "data"
    engine = EngineProcess(data)
    engines.append(engine)
    task_id = engine.create(video)
    engine.wait_all([task_id])
    with tmpfs(data / "media", 1, read_only=True) as mounted:
        if not mounted:
            pytest.skip("mounting a tmpfs is not permitted here")
        status, body = await upload(engine.base_url, video)
        assert status == 507, body
        assert isinstance(body, dict) and "Read-only file system" in body["message"], body
        assert engine.status(task_id)["status"] == "ready"
    again = engine.create(video)
    assert engine.wait_all([again])[again]["status"] == "ready"
