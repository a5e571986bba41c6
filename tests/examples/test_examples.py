"""The examples/ scripts run as written, and the README shows them as they are."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.shell import cli_env
from tests.videos import make_video

pytestmark = pytest.mark.timeout(240)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run_example(name: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=200,
        env=cli_env(cwd / "cache"),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_readme_shows_every_example_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = dict(re.findall(r"<!-- (examples/\w+\.py) -->\n```python\n(.*?)```", readme, re.S))
    assert set(shown) == {f"examples/{p.name}" for p in EXAMPLES.glob("*.py")}
    for name, text in shown.items():
        assert text == (ROOT / name).read_text(encoding="utf-8"), f"{name} differs in the README"


def test_embed_one_video_offline_with_the_sample(tmp_path: Path) -> None:
    proc = run_example("embed_one_video.py", [], tmp_path)
    assert (tmp_path / "sample.mp4").exists()
    assert "ready" in proc.stdout and "clips start at [0.0, 4.0, 8.0]" in proc.stdout
    assert (tmp_path / "cache" / "twelvelabs-embed" / "engine").is_dir(), "the CLI's data dir"


def test_embed_one_video_sync(tmp_path: Path) -> None:
    video = make_video(tmp_path / "mine.mp4", duration=8.0, fps=10, audio=True)
    proc = run_example("embed_one_video_sync.py", [str(video)], tmp_path)
    lines = proc.stdout.splitlines()
    assert "visual 0.0 512" in lines and "audio 6.0 512" in lines


def test_embed_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    make_video(folder / "a.mp4", duration=6.0, fps=10, seed=1)
    make_video(folder / "b.mp4", duration=6.0, fps=10, seed=2, pattern="texture")
    make_video(folder / "short.mp4", duration=2.0, fps=10)
    proc = run_example("embed_a_folder.py", [str(folder)], tmp_path)
    assert f"failed: {folder / 'short.mp4'} video_duration_too_short The video" in proc.stdout
    scores = [line for line in proc.stdout.splitlines() if re.match(r"\d\.\d{3}  ", line)]
    assert len(scores) == 2, proc.stdout  # one 6 s clip per good video
    best = scores[0]
    assert best.startswith("1.000"), proc.stdout  # the query clip finds itself first


UNGUARDED = """\
import asyncio
from twelvelabs_embed import AsyncTwelveLabs


async def main() -> None:
    async with AsyncTwelveLabs.local() as client:
        print(client.base_url)


asyncio.run(main())
"""


def test_a_script_without_the_main_guard_is_told_what_to_write(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED)
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=200,
        env=cli_env(tmp_path / "cache"),
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()
    assert "MainModuleNotGuardedError: unguarded.py, line 10 starts the local engine" in (
        "\n".join(last)
    )
    assert 'if __name__ == "__main__":' in proc.stderr
    assert "video_file_broken" not in proc.stderr and proc.stderr.count("Traceback") == 1


def test_embed_v2_offline_with_the_sample(tmp_path: Path) -> None:
    proc = run_example("embed_v2.py", [], tmp_path)
    lines = proc.stdout.splitlines()
    assert lines[0] == "sample.mp4 sent as base64_string"
    assert lines[1:4] == [f"shot {a}-{b} s: 512 floats" for a, b in ((0, 4), (4, 8), (8, 12))]
    assert "task ready (10, 256)" in lines and "text vector: 512 floats" in lines


def test_embed_v2_sync(tmp_path: Path) -> None:
    video = make_video(tmp_path / "mine.mp4", duration=8.0, fps=10, audio=True)
    proc = run_example("embed_v2_sync.py", [str(video)], tmp_path)
    lines = proc.stdout.splitlines()
    assert lines[0] == "ready clips start at [0.0, 4.0]", proc.stdout
    assert lines[1].startswith("[[1.")
