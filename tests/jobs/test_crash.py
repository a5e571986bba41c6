"""Crash and Ctrl-C: a real ``twelvelabs-embed embed --journal`` process (with its
embedded local engine) is killed mid-run and started again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.jobs.conftest import copies, engine_creates
from twelvelabs_embed.results import read_results

pytestmark = pytest.mark.timeout(240)


def start(args: list[str], cache: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWELVE", "XDG_CACHE"))}
    env["XDG_CACHE_HOME"] = str(cache)
    return subprocess.Popen(
        [sys.executable, "-m", "twelvelabs_embed", "embed", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its engine's worker processes go with it
    )


def states(journal: Path) -> Counter[str]:
    if not journal.exists():
        return Counter()
    try:
        conn = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
        try:
            return Counter(dict(conn.execute("SELECT state, COUNT(*) FROM inputs GROUP BY state")))
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return Counter()  # not created yet


def wait_until(proc: subprocess.Popen[str], journal: Path, retrieved: int) -> Counter[str]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        seen = states(journal)
        if seen["retrieved"] >= retrieved:
            return seen
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError(f"no progress: {seen}")


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=180)
    assert "Traceback" not in err, err
    return proc.returncode, out, err


N = 24


def test_kill_9_twice_then_resume_creates_each_input_once_and_writes_each_segment_once(
    tiny_video: Path, tmp_path: Path
) -> None:
    videos = copies(tiny_video, tmp_path / "lib", N)
    journal, out = tmp_path / "job.db", tmp_path / "out.jsonl"
    args = [str(tmp_path / "lib"), "--journal", str(journal), "--out", str(out)]
    args += ["--concurrency", "3", "--poll-interval", "0.1"]
    for at_least in (3, 12):
        proc = start(args, tmp_path)
        seen = wait_until(proc, journal, at_least)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        assert seen["retrieved"] < N, "killed mid-run"
    code, _, err = finish(start(args, tmp_path))
    assert code == 0, err
    assert states(journal) == Counter({"retrieved": N})

    created = engine_creates(tmp_path / "twelvelabs-embed" / "engine" / "tasks.sqlite3")
    assert created == {v.name: 1 for v in videos}, "every input created exactly once"
    loaded = read_results(out)
    segments = Counter(
        zip(
            loaded.metadata["source"],
            loaded.metadata["embedding_option"],
            loaded.metadata["embedding_scope"],
            loaded.metadata["start_offset_sec"],
            strict=True,
        )
    )
    assert set(segments.values()) == {1}, "no segment twice"
    per_source = Counter(loaded.metadata["source"])
    assert set(per_source) == {str(v) for v in videos}
    assert len(set(per_source.values())) == 1, "every video has all its segments"
    assert len(set(zip(loaded.metadata["source"], loaded.metadata["task_id"], strict=True))) == N


def test_ctrl_c_stops_cleanly_and_the_next_run_continues(tiny_video: Path, tmp_path: Path) -> None:
    copies(tiny_video, tmp_path / "lib", 12)
    journal, out = tmp_path / "job.db", tmp_path / "out.parquet"
    args = [str(tmp_path / "lib"), "--journal", str(journal), "--out", str(out)]
    args += ["--concurrency", "2", "--poll-interval", "0.1"]
    proc = start(args, tmp_path)
    wait_until(proc, journal, 2)
    os.kill(proc.pid, signal.SIGINT)
    code, _, err = finish(proc)
    assert code == 130 and "interrupted" in err, err
    after = states(journal)
    partial = read_results(out)  # written on the way out: what was retrieved so far
    assert len(set(partial.metadata["task_id"])) == after["retrieved"] < 12
    code, _, err = finish(start(args, tmp_path))
    assert code == 0, err
    assert f"{after['retrieved']} input(s) already finished in the journal" in err
    assert len(set(read_results(out).metadata["task_id"])) == 12
    created = engine_creates(tmp_path / "twelvelabs-embed" / "engine" / "tasks.sqlite3")
    assert set(created.values()) == {1} and len(created) == 12
