"""``twelvelabs-embed search`` and ``similar`` as a user runs them: real subprocesses on the
results files the real engine wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.shell import run
from tests.search.conftest import Library

pytestmark = pytest.mark.timeout(180)


def test_search_like_finds_the_same_moment_of_the_copy(library: Library, tmp_path: Path) -> None:
    crop, a = str(library.videos["a_crop"]), str(library.videos["a"])
    html = tmp_path / "hits.html"
    proc = run(
        ["search", str(library.results), "--like", f"{crop}@10", "--top", "3", "--json",
         "--html", str(html)],
        tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["model_name"] == "marengo3.0" and len(data["hits"]) == 3
    top = data["hits"][0]
    assert (top["source"], top["start_offset_sec"], top["end_offset_sec"]) == (a, 9.0, 12.0)
    assert all(
        h["embedding_option"] == "visual" and h["embedding_scope"] == "clip" for h in data["hits"]
    )
    assert [h["score"] for h in data["hits"]] == sorted(
        (h["score"] for h in data["hits"]), reverse=True
    )
    assert html.read_text().count("data:image/jpeg;base64,") == 3
    # the table for people: the same top hit, by its file name and times
    table = run(["search", str(library.npz), "--like", "a_crop.mp4@10", "--top", "2"], tmp_path)
    assert table.returncode == 0, table.stderr
    assert a in table.stdout and "9.00" in table.stdout and "12.00" in table.stdout


def test_similar_groups_the_copy_and_not_the_intro(library: Library, tmp_path: Path) -> None:
    proc = run(["similar", str(library.jsonl), "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["groups"] == [sorted([str(library.videos["a"]), str(library.videos["a_crop"])])]
    verdicts = {(m["source_a"], m["source_b"]): m["duplicate"] for m in data["matches"]}
    assert verdicts[(str(library.videos["c"]), str(library.videos["d"]))] is False
    clips = run(["similar", str(library.jsonl), "--scope", "clip", "--json"], tmp_path)
    pairs = json.loads(clips.stdout)["clip_pairs"]
    assert len(pairs) == 8 + 2  # every clip of the copy, and both clips of the 6 s intro
    html = tmp_path / "dups.html"
    table = run(["similar", str(library.results), "--html", str(html)], tmp_path)
    assert table.returncode == 0 and "duplicate" in table.stdout and "partial" in table.stdout
    assert html.read_text().count("<img") == 2 * len(pairs)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "{res}", "--like", "a.mp4"], "--like takes SOURCE@SECONDS"),
        (["search", "{res}", "--like", "zzz.mp4@3"], "'zzz.mp4' is not a source in the results"),
        (["search", "{dir}/missing.parquet", "--like", "a.mp4@1"], "no such results file"),
        (["similar", "{res}", "{dir}/other.npz"], "mix models"),
        (["similar", "{dir}/junk.jsonl"], "not a results file"),
    ],
)
def test_bad_input_is_one_clear_line(
    library: Library, tmp_path: Path, args: list[str], message: str
) -> None:
    from tests.search.test_index import _with_model  # a results file of another model

    _with_model(library, tmp_path / "other.npz", "Marengo-retrieval-2.7")
    (tmp_path / "junk.jsonl").write_text('{"hello": 1}\n')
    argv = [a.format(res=library.results, dir=tmp_path) for a in args]
    proc = run(argv, tmp_path)
    assert proc.returncode == 1, proc.stdout
    assert message in proc.stderr and proc.stderr.strip().splitlines()[-1].startswith("error:")


def test_usage_errors_are_refused_by_the_parser(library: Library, tmp_path: Path) -> None:
    proc = run(["similar", str(library.results), "--threshold", "1.5"], tmp_path)
    assert proc.returncode == 2 and "cosine between -1 and 1" in proc.stderr
    proc = run(["search", str(library.results)], tmp_path)
    assert proc.returncode == 2 and "--like" in proc.stderr


def test_search_by_video_and_text_embeds_the_query_on_the_local_engine(
    library: Library, tmp_path: Path
) -> None:
    """The query goes through the v2 sync endpoint of the CLI's own local engine."""
    proc = run(
        ["search", str(library.results), "--video", str(library.videos["a_crop"]), "--top", "3",
         "--json"],
        tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)["hits"]
    assert {hits[0]["source"], hits[1]["source"]} <= {
        str(library.videos["a"]),
        str(library.videos["a_crop"]),
    }
    text = run(["search", str(library.npz), "--text", "a red square", "--top", "2"], tmp_path)
    assert text.returncode == 0, text.stderr
    assert "only the semantic encoder relates text to pictures offline" in text.stderr
    assert "a red square" in text.stdout
