"""Jobs against the real local engine (in-process, loopback, real SQLite and decoding)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from tests.jobs.conftest import copies, engine_creates
from tests.videos import make_garbage, make_video
from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.jobs import Journal, JournalBusyError, make_inputs
from twelvelabs_embed.results import read_results

pytestmark = pytest.mark.timeout(180)


async def test_a_folder_with_bad_files_gives_one_failure_row_each_and_resumes(
    client: AsyncTwelveLabs, engine: object, tiny_video: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "library"
    good = copies(tiny_video, folder, 3)
    make_video(folder / "short.mp4", width=360, height=360, duration=2.0, fps=5)
    make_garbage(folder / "notavideo.mp4")
    (folder / "gone.mp4").symlink_to(folder / "missing-target.mp4")  # unreadable
    (folder / "notes.txt").write_text("not a video suffix: skipped, not an input")
    out, journal = tmp_path / "out.parquet", tmp_path / "job.db"

    results = await client.embed.tasks.embed_many(
        [folder], journal=journal, out=out, poll_interval=0.1, concurrency=4
    )
    by_name = {Path(r.source).name: r for r in results}
    assert set(by_name) == {*(p.name for p in good), "short.mp4", "notavideo.mp4", "gone.mp4"}
    assert by_name["short.mp4"].error_code == "video_duration_too_short"
    assert by_name["notavideo.mp4"].error_code == "video_file_broken"
    assert by_name["gone.mp4"].error_code == "file_not_found"
    assert all(not by_name[n].retryable for n in ("short.mp4", "notavideo.mp4", "gone.mp4"))
    assert all(by_name[p.name].ok for p in good)

    loaded = read_results(out)
    assert set(loaded.metadata["source"]) == {str(p) for p in good}
    assert loaded.vectors.dtype == np.float32 and loaded.vectors.shape[1] == 512
    assert len(loaded) == sum(by_name[p.name].segments for p in good)
    for column in ("task_id", "model_name", "embedding_option", "embedding_scope"):
        assert all(loaded.metadata[column]), column
    assert not (tmp_path / "out.parquet.parts").exists(), "parts are merged and removed"

    # Second run: nothing is sent; permanent failures keep their reason.
    before = engine_creates(engine.data_dir / "tasks.sqlite3")  # type: ignore[attr-defined]
    again = await client.embed.tasks.embed_many(
        [folder], journal=journal, out=out, poll_interval=0.1
    )
    assert all(r.resumed for r in again)
    assert [r.error_message for r in again] == [r.error_message for r in results]
    assert engine_creates(engine.data_dir / "tasks.sqlite3") == before  # type: ignore[attr-defined]
    assert len(read_results(out)) == len(loaded)


async def test_a_lost_create_is_adopted_not_uploaded_again(
    client: AsyncTwelveLabs, engine: object, tiny_video: Path, tmp_path: Path
) -> None:
    """The crash window: the server created the task but the journal never got its id."""
    videos = copies(tiny_video, tmp_path / "v", 2, prefix="lost")
    journal_path = tmp_path / "job.db"
    inputs = make_inputs([str(v) for v in videos], {"model_name": "marengo3.0"})
    async with Journal(journal_path) as journal:
        await journal.register(inputs)
        await journal.begin_upload(inputs[0].key, "attempt-1", time.time())
        await journal.begin_upload(inputs[1].key, "attempt-1", time.time())
    # Input 0's upload reached the server; input 1's never did.
    created = await client.embed.tasks.create("marengo3.0", video_file=videos[0])

    results = await client.embed.tasks.embed_many(
        [str(v) for v in videos], journal=journal_path, out=tmp_path / "o.jsonl", poll_interval=0.1
    )
    assert [r.state for r in results] == ["retrieved", "retrieved"]
    assert results[0].task_id == created.id, "the existing task was adopted"
    counts = engine_creates(engine.data_dir / "tasks.sqlite3")  # type: ignore[attr-defined]
    assert counts == {"lost000.mp4": 1, "lost001.mp4": 1}


async def test_an_edited_file_is_embedded_again_and_a_touched_one_is_not(
    client: AsyncTwelveLabs, engine: object, tiny_video: Path, tmp_path: Path
) -> None:
    a, b = copies(tiny_video, tmp_path / "v", 2)
    journal, out = tmp_path / "job.db", tmp_path / "o.npz"
    first = await client.embed.tasks.embed_many([a, b], journal=journal, out=out, poll_interval=0.1)
    os.utime(a, ns=(time.time_ns(), time.time_ns() + 10**9))  # same bytes, new mtime
    make_video(b, width=360, height=360, duration=4.2, fps=5, seed=7)  # new content
    second = await client.embed.tasks.embed_many(
        [a, b], journal=journal, out=out, poll_interval=0.1
    )
    assert second[0].resumed and second[0].task_id == first[0].task_id
    assert not second[1].resumed and second[1].task_id != first[1].task_id
    loaded = read_results(out)
    assert set(loaded.metadata["task_id"]) == {first[0].task_id, second[1].task_id}


async def test_a_journal_is_used_by_one_job_at_a_time(tmp_path: Path) -> None:
    async with Journal(tmp_path / "j.db"):
        with pytest.raises(JournalBusyError):
            async with Journal(tmp_path / "j.db"):
                pass


async def test_200_short_videos_at_concurrency_16(
    client: AsyncTwelveLabs, engine: object, tiny_video: Path, tmp_path: Path
) -> None:
    videos = copies(tiny_video, tmp_path / "lib", 200)
    seen: list[int] = []
    results = await client.embed.tasks.embed_many(
        [tmp_path / "lib"],
        journal=tmp_path / "job.db",
        out=tmp_path / "out.jsonl",
        concurrency=16,
        poll_interval=0.2,
        on_progress=lambda p: seen.append(p.done),
    )
    assert len(results) == 200 and all(r.ok for r in results), [
        r.error_message for r in results if not r.ok
    ]
    assert len({r.task_id for r in results}) == 200
    loaded = read_results(tmp_path / "out.jsonl")
    assert len(loaded) == sum(r.segments for r in results)
    assert sorted(set(loaded.metadata["source"])) == sorted(str(v) for v in videos)
    assert seen[-1] == 200
    counts = engine_creates(engine.data_dir / "tasks.sqlite3")  # type: ignore[attr-defined]
    assert len(counts) == 200 and set(counts.values()) == {1}
