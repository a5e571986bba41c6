"""The CLI end to end: real subprocesses, each starting the embedded local engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.cli.shell import cli_env, run
from tests.videos import make_video
from twelvelabs_embed.results import read_results

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("videos")
    return {
        "good": make_video(d / "good.mp4", duration=6.0, fps=10, audio=True),
        "good2": make_video(d / "good2.mp4", duration=5.0, fps=10, seed=3, pattern="texture"),
        "short": make_video(d / "short.mp4", duration=2.0, fps=10),
    }


def test_demo_runs_the_main_job(tmp_path: Path) -> None:
    proc = run(["demo"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "No API key: using the local engine" in proc.stderr
    assert proc.stderr.count("\n") < 10, "progress chatter stays short"
    assert "clip-to-clip cosine similarity" in proc.stdout
    labels, sims = similarity_matrix(proc.stdout)
    assert labels == ["0-4s", "4-8s", "8-12s"]
    np.testing.assert_allclose(np.diag(sims), 1.0)
    # three different scenes: each clip is clearly most like itself, as the demo says
    off_diagonal = sims[~np.eye(3, dtype=bool)]
    assert off_diagonal.max() < 0.9, sims
    np.testing.assert_allclose(sims, sims.T)
    assert "8 segments of 512 dimensions" in proc.stdout
    # then a text search over the clips, with what the offline encoder can and cannot do
    search = proc.stdout.split('Text search: "a bouncing ball"', 1)[1]
    assert search.count("demo.mp4") == 3 and "cannot relate text to pictures" in search


def similarity_matrix(stdout: str) -> tuple[list[str], np.ndarray]:
    """The demo's similarity table, read back from its box-drawn rows."""
    after = stdout.split("clip-to-clip cosine similarity", 1)[1]
    labels: list[str] = []
    rows: list[list[float]] = []
    for line in after.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) > 1 and cells[0].endswith("s") and cells[0][0].isdigit():
            labels.append(cells[0])
            rows.append([float(c) for c in cells[1:]])
    return labels, np.array(rows)


def test_embed_writes_jsonl_with_provenance_and_status_finds_the_task(
    tmp_path: Path, videos: dict[str, Path]
) -> None:
    out = tmp_path / "out.jsonl"
    proc = run(
        [
            "embed",
            str(videos["good"]),
            "--clip-length",
            "3",
            "--scope",
            "clip",
            "--scope",
            "video",
            "--out",
            str(out),
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    loaded = read_results(out)
    # 6 s at 3 s clips: 2 clips + 1 video segment, for visual and audio
    assert len(loaded) == 6 and loaded.vectors.shape == (6, 512)
    assert set(loaded.metadata["embedding_option"]) == {"visual", "audio"}
    assert loaded.metadata["embedding_scope"].count("video") == 2
    assert set(loaded.metadata["source"]) == {str(videos["good"])}
    np.testing.assert_allclose(np.linalg.norm(loaded.vectors, axis=1), 1.0, rtol=1e-4)
    task_id = loaded.metadata["task_id"][0]
    status = run(["status", task_id], tmp_path)
    assert status.returncode == 0 and "ready" in status.stdout
    listing = run(["list"], tmp_path)
    assert listing.returncode == 0 and task_id in listing.stdout
    retrieved = run(
        ["retrieve", task_id, "--option", "audio", "--out", str(tmp_path / "a.npz")], tmp_path
    )
    assert retrieved.returncode == 0, retrieved.stderr
    npz = read_results(tmp_path / "a.npz")
    assert set(npz.metadata["embedding_option"]) == {"audio"} and len(npz) == 3


def test_one_bad_video_is_reported_and_the_others_go_on(
    tmp_path: Path, videos: dict[str, Path]
) -> None:
    out = tmp_path / "out.npz"
    missing = tmp_path / "missing.mp4"
    proc = run(
        [
            "embed",
            str(videos["good2"]),
            str(videos["short"]),
            str(missing),
            "--out",
            str(out),
            "--concurrency",
            "2",
        ],
        tmp_path,
    )
    assert proc.returncode == 1
    assert f"error: {videos['short']}: video_duration_too_short:" in proc.stderr
    assert f"error: {missing}: file_not_found: No such file or directory" in proc.stderr
    loaded = read_results(out)
    assert set(loaded.metadata["source"]) == {str(videos["good2"])} and len(loaded) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["embed", "x.mp4", "--out", "o.csv"], "error: --out must end in .jsonl or .npz"),
        (
            ["embed", "x.mp4", "--out", "/nonexistent-dir/o.jsonl"],
            "error: folder /nonexistent-dir does not exist",
        ),
        (["status", "not-an-id"], "error: parameter_invalid"),
        (["status", "0123456789abcdef01234567"], "error: resource_not_exist"),
        (["retrieve", "a/b"], "error: parameter_invalid"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    tmp_path: Path, args: list[str], message: str
) -> None:
    proc = run(args, tmp_path)
    assert proc.returncode == 1
    assert message in proc.stderr, proc.stderr


def test_bad_parameter_fails_every_input_with_the_platform_code(
    tmp_path: Path, videos: dict[str, Path]
) -> None:
    proc = run(["embed", str(videos["good"]), "--start", "30", "--end", "40"], tmp_path)
    assert proc.returncode == 1
    assert f"error: {videos['good']}: parameter_invalid:" in proc.stderr


@pytest.mark.parametrize(
    "args",
    [["embed"], ["embed", "x", "--concurrency", "0"], ["nope"], ["embed", "x", "--model", "gpt"]],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    proc = run(args, tmp_path)
    assert proc.returncode == 2 and "usage:" in proc.stderr


def test_platform_mode_without_engine(tmp_path: Path) -> None:
    # A key plus an unreachable base URL: the platform path is taken, and fails in one line.
    proc = run(
        ["--api-key", "k", "--base-url", "http://127.0.0.1:9/v1.3", "status", "0" * 24],
        tmp_path,
    )
    assert proc.returncode == 1
    assert "cannot connect" in proc.stderr and "local engine" not in proc.stderr


def test_serve_help(tmp_path: Path) -> None:
    proc = run(["serve", "--help"], tmp_path)
    assert proc.returncode == 0 and "--allow-private-urls" in proc.stdout


def test_failed_retrieve_leaves_an_existing_output_file_alone(tmp_path: Path) -> None:
    out = tmp_path / "keep.jsonl"
    out.write_text('{"earlier": "rows"}\n')
    proc = run(["retrieve", "0123456789abcdef01234567", "--out", str(out)], tmp_path)
    assert proc.returncode == 1 and "resource_not_exist" in proc.stderr
    assert out.read_text() == '{"earlier": "rows"}\n'


@pytest.mark.parametrize(
    "args",
    [
        ["--api-key", "k", "--base-url", "http://127.0.0.1:9/v1.3", "status", "0" * 24],
        ["status", "0" * 24, "--api-key", "k", "--base-url", "http://127.0.0.1:9/v1.3"],
        ["--api-key", "k", "status", "0" * 24, "--base-url=http://127.0.0.1:9/v1.3"],
        ["list", "--base-url", "http://127.0.0.1:9/v1.3", "--api-key", "k", "--limit", "3"],
    ],
)
def test_global_options_work_on_either_side_of_the_command(tmp_path: Path, args: list[str]) -> None:
    proc = run(args, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "cannot connect" in proc.stderr and "local engine" not in proc.stderr


def test_debug_after_the_command_shows_the_traceback(tmp_path: Path) -> None:
    args = ["status", "0" * 24, "--base-url", "http://127.0.0.1:9/v1.3", "--api-key", "k"]
    quiet = run(args, tmp_path)
    loud = subprocess.run(
        [sys.executable, "-m", "twelvelabs_embed", *args, "--debug"],
        capture_output=True,
        text=True,
        timeout=150,
        env=cli_env(tmp_path),
        stdin=subprocess.DEVNULL,
    )
    assert quiet.returncode == 1 and loud.returncode == 1
    assert "Traceback" in loud.stderr and "ApiConnectionError" in loud.stderr


def test_global_options_before_serve_are_a_usage_error(tmp_path: Path) -> None:
    proc = run(["--debug", "serve"], tmp_path)
    assert proc.returncode == 2 and "go after 'serve'" in proc.stderr
