"""A 3 GB file through ``client.assets.upload`` with the engine and the client as real
processes: peak memory growth of both stays under 64 MB; a SIGKILLed upload resumes and
sends only the chunks the engine lacks; the stored asset is the file, byte for byte.

The file is a real video followed by a sparse hole, so it costs no disk on the client;
the engine keeps all-zero chunk pieces as holes too.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.big_files import sha256_of, sparse_padded
from tests.reliability.engine_proc import KEY, EngineProcess
from tests.videos import make_video

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
MB = 1024 * 1024
LIMIT = 64 * MB


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return make_video(tmp_path / "v.mp4", width=480, height=360, duration=4.5, fps=8)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    eng = EngineProcess(tmp_path / "data", workers=1, extra_args=["--control"])
    try:
        yield eng
    finally:
        eng.stop()


def _status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0]) * 1024
    return out


def _start_child(
    engine: EngineProcess, path: Path, state: Path, *warm_up: Path
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.upload_child", engine.base_url, KEY, str(path),
         str(state), *map(str, warm_up)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip


def _finish(child: subprocess.Popen[str]) -> dict[str, Any]:
    assert child.stdout is not None
    with child.stdout:
        lines = [json.loads(line) for line in child.stdout]
    assert child.wait(timeout=600) == 0
    return lines[-1]  # type: ignore[no-any-return]


def _puts(engine: EngineProcess) -> list[dict[str, Any]]:
    r = engine.session.get(engine.base_url.replace("/v1.3", "/_engine/requests"),
                           params={"route": "upload_chunk"}, timeout=30)  # fmt: skip
    assert r.status_code == 200, r.text
    return list(r.json()["requests"])


def test_3gb_upload_keeps_both_processes_small(
    engine: EngineProcess, video: Path, tmp_path: Path
) -> None:
    big = sparse_padded(video, tmp_path / "big.mp4", 3 * 1024 * MB)
    Path(f"/proc/{engine.proc.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
    engine_base = _status(engine.proc.pid)["VmRSS"]
    warm = sparse_padded(video, tmp_path / "warm.mp4", 10 * MB)  # first use: imports, sessions
    result = _finish(_start_child(engine, big, tmp_path / "state", warm))
    engine_growth = _status(engine.proc.pid)["VmHWM"] - engine_base
    print(
        f"client peak RSS growth {result['rss_growth'] / MB:.1f} MB, engine {engine_growth / MB:.1f} MB"
    )
    assert result["rss_growth"] < LIMIT
    assert engine_growth < LIMIT
    assert result["sent"] == 3 * 1024 // 8  # 8 MiB chunks, each sent once
    stored = tmp_path / "data" / "assets" / result["result"]
    assert sha256_of(stored) == sha256_of(big)


def test_sigkill_halfway_then_rerun_sends_only_the_missing_chunks(
    engine: EngineProcess, video: Path, tmp_path: Path
) -> None:
    size = 800 * MB
    big = sparse_padded(video, tmp_path / "big.mp4", size)
    child = _start_child(engine, big, tmp_path / "state")
    assert child.stdout is not None
    for line in child.stdout:
        if json.loads(line).get("progress", 0) >= size // 2:
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=60)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    before = {int(p["path"].rsplit("/", 1)[1]) for p in _puts(engine) if p["status"] == 200}
    engine.session.delete(engine.base_url.replace("/v1.3", "/_engine/requests"), timeout=30)
    result = _finish(_start_child(engine, big, tmp_path / "state"))
    again = [int(p["path"].rsplit("/", 1)[1]) for p in _puts(engine)]
    total = size // (8 * MB)
    assert result["resumed"] and result["sent"] == len(again)
    assert len(before) >= total // 2
    assert len(again) <= total - len(before) + 4  # chunks cut off mid-PUT go again
    assert sorted(set(before) | set(again)) == list(range(1, total + 1))
    assert sha256_of(tmp_path / "data" / "assets" / result["result"]) == sha256_of(big)
