"""Bulk jobs on the Embed API v2 (``client.embed.v_2.tasks.embed_many``) against the real
local engine: the same rows as v1, resumable, failures as rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.jobs.conftest import copies
from tests.videos import make_video
from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.results import read_results

pytestmark = pytest.mark.timeout(240)


async def test_v2_rows_match_v1_rows(
    client: AsyncTwelveLabs, tiny_video: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "library"
    good = copies(tiny_video, folder, 2)
    make_video(folder / "short.mp4", width=480, height=360, duration=2.0, fps=5)
    common = {
        "poll_interval": 0.1,
        "video_clip_length": 2,
        "video_embedding_scope": ["clip", "video"],
    }
    v1 = await client.embed.tasks.embed_many(
        [folder], journal=tmp_path / "v1.db", out=tmp_path / "v1.jsonl", **common
    )
    v2 = await client.embed.v_2.tasks.embed_many(
        [folder], journal=tmp_path / "v2.db", out=tmp_path / "v2.jsonl", **common
    )
    assert [(r.source, r.ok, r.segments) for r in v2] == [(r.source, r.ok, r.segments) for r in v1]
    short = next(r for r in v2 if r.source.endswith("short.mp4"))
    assert short.error_code == "task_failed" and "too short" in (short.error_message or "")

    a, b = read_results(tmp_path / "v1.jsonl"), read_results(tmp_path / "v2.jsonl")
    assert set(a.metadata) == set(b.metadata)  # the same columns, whichever API
    key = ("source", "embedding_option", "embedding_scope", "start_offset_sec", "end_offset_sec")

    def rows(r: object) -> dict[tuple[object, ...], np.ndarray]:
        md = r.metadata  # type: ignore[attr-defined]
        return {tuple(md[k][i] for k in key): r.vectors[i] for i in range(len(r))}  # type: ignore[attr-defined]

    ra, rb = rows(a), rows(b)
    assert set(ra) == set(rb) and {k[0] for k in ra} == {str(p) for p in good}
    visual = [k for k in ra if k[1] == "visual"]
    assert visual and all(np.allclose(ra[k], rb[k], atol=1e-5) for k in visual)

    again = await client.embed.v_2.tasks.embed_many(
        [folder], journal=tmp_path / "v2.db", out=tmp_path / "v2.jsonl", **common
    )
    assert all(r.resumed for r in again)
