"""What scripts and logs read: full-width tables when piped, --json, one line per failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.shell import run
from tests.videos import make_video
from twelvelabs_embed.results import read_results

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def job(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, Path], dict[str, object]]:
    """One embed run over a good video (in a long folder name) and a too-short one."""
    home = tmp_path_factory.mktemp("home")
    folder = home / ("a-folder-name-long-enough-to-overflow-eighty-columns-" * 2)
    folder.mkdir()
    videos = {
        "good": make_video(folder / "good.mp4", duration=5.0, fps=10, audio=True),
        "short": make_video(folder / "short.mp4", duration=2.0, fps=10),
    }
    proc = run(
        ["embed", str(videos["good"]), str(videos["short"]), "--json", "--poll-interval", "0.2"],
        home,
    )
    assert proc.returncode == 1, proc.stderr
    return home, videos, {"stdout": proc.stdout, "stderr": proc.stderr}


def test_embed_json_summary_is_one_object_per_input(
    job: tuple[Path, dict[str, Path], dict[str, object]],
) -> None:
    _, videos, out = job
    summary = json.loads(str(out["stdout"]))
    assert [s["source"] for s in summary] == [str(videos["good"]), str(videos["short"])]
    good, short = summary
    assert good["state"] == "retrieved" and len(good["task_id"]) == 24 and good["segments"] == 2
    assert short["state"] == "failed" and short["error_code"] == "video_duration_too_short"
    assert "video_duration_too_short" not in short["error_message"], "the code is not repeated"


def test_each_failure_is_one_line_and_only_one(
    job: tuple[Path, dict[str, Path], dict[str, object]],
) -> None:
    _, videos, out = job
    lines = [line for line in str(out["stderr"]).splitlines() if line.startswith("error:")]
    assert len(lines) == 1, out["stderr"]
    assert lines[0].startswith(f"error: {videos['short']}: video_duration_too_short: The video")
    assert lines[0].count("video_duration_too_short") == 1


def test_list_status_and_retrieve_are_whole_when_piped_and_parse_as_json(
    job: tuple[Path, dict[str, Path], dict[str, object]], tmp_path: Path
) -> None:
    home, _, out = job
    task_id = json.loads(str(out["stdout"]))[0]["task_id"]

    table = run(["list"], home)  # no COLUMNS and not a terminal: nothing is cut
    row = next(line for line in table.stdout.splitlines() if task_id in line)
    assert "good.mp4" in row and "…" not in table.stdout

    listed = json.loads(run(["list", "--json"], home).stdout)
    assert {"id": task_id, "source": "good.mp4", "status": "ready"}.items() <= listed[0].items()

    status = json.loads(run(["status", task_id, "--json"], home).stdout)
    assert status["status"] == "ready" and status["source"] == "good.mp4"
    assert status["duration"] == pytest.approx(5.0, abs=0.2) and status["error"] is None

    target = tmp_path / "rows.jsonl"
    retrieved = run(
        ["retrieve", task_id, "--json", "--option", "visual", "--out", str(target)], home
    )
    assert retrieved.returncode == 0, retrieved.stderr
    body = json.loads(retrieved.stdout)
    assert body["task_id"] == task_id and len(body["segments"]) == 1
    assert len(body["segments"][0]["vector"]) == 512
    assert f"wrote 1 rows to {target}" in retrieved.stderr
    assert read_results(target).metadata["source"] == ["good.mp4"], "the file name, not the id"


def test_retrieve_help_mentions_parquet(tmp_path: Path) -> None:
    proc = run(["retrieve", "--help"], tmp_path)
    assert proc.returncode == 0 and "FILE.parquet" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["embed", "a.mp4", "--clip-length", "1"], "--clip-length: must be 2-10 seconds, got 1"),
        (["embed", "ftp://host/a.mp4"], "only http(s) URLs can be embedded, not ftp://"),
        (
            ["embed-text", "--image", "ftp://h/a.png"],
            "only http(s) URLs can be embedded, not ftp://",
        ),
        (
            ["search", "r.parquet", "--image", "s3://b/a.png"],
            "only http(s) URLs can be embedded, not s3://",
        ),
        (
            ["--base-url", "http://127.0.0.1:8000", "list"],
            "--base-url: must end in the API version, /v1.3 (e.g. http://127.0.0.1:8000/v1.3)",
        ),
        (["list", "--api_key", "tlk_SECRET"], "unrecognized arguments: --api_key ***"),
        (["list", "--api-key", "tlk_SECRET", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_usage_errors_are_caught_before_any_request(
    tmp_path: Path, args: list[str], message: str
) -> None:
    proc = run(args, tmp_path)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert "tlk_SECRET" not in proc.stderr and "local engine" not in proc.stderr
