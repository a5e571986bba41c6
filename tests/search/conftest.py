"""A small real library for the search tests: videos made with PyAV, embedded by the
real local engine through ``embed_many`` into a results file, once per session.

The library:
- ``a.mp4`` and ``a_crop.mp4``: one video and a 10% cropped re-encode of it (duplicates);
- ``b.mp4``: an unrelated video;
- ``c.mp4`` and ``d.mp4``: two different videos that open with the same 6-second intro.
Each is 24 s (8 scenes of 3 s), cut into 3-second clips.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np
import pytest

from tests.videos import crop, frames, make_video, transcode, write_frames
from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.results import read_results, write_columns

W, H, FPS, SECONDS, CLIP = 640, 400, 8, 24.0, 3.0


@attrs.frozen
class Library:
    folder: Path
    videos: dict[str, Path]
    results: Path  # parquet, as embed wrote it
    jsonl: Path
    npz: Path


def _with_intro(path: Path, body_seed: int) -> Path:
    def gen() -> Iterator[np.ndarray]:
        yield from frames(width=W, height=H, duration=6.0, fps=FPS, seed=500)
        yield from frames(width=W, height=H, duration=SECONDS - 6.0, fps=FPS, seed=body_seed)

    return write_frames(path, gen(), fps=FPS)


async def _embed(videos: list[Path], out: Path, data: Path) -> None:
    async with (
        LocalEngine(data_dir=data, workers=1) as engine,
        AsyncTwelveLabs(engine.api_key, base_url=engine.base_url) as client,
    ):
        results = await client.embed.tasks.embed_many(
            videos,
            out=out,
            video_clip_length=CLIP,
            video_embedding_scope=["clip", "video"],
            poll_interval=0.1,
            timeout=240,
        )
    failed = [r for r in results if r.state != "retrieved"]
    assert not failed, failed


@pytest.fixture(scope="session")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    d = tmp_path_factory.mktemp("library")
    a = make_video(d / "a.mp4", width=W, height=H, duration=SECONDS, fps=FPS, seed=1)
    videos = {
        "a": a,
        "a_crop": transcode(a, d / "a_crop.mp4", transform=crop()),
        "b": make_video(
            d / "b.mp4", width=W, height=H, duration=SECONDS, fps=FPS, seed=2, pattern="texture"
        ),
        "c": _with_intro(d / "c.mp4", 501),
        "d": _with_intro(d / "d.mp4", 502),
    }
    out = d / "vectors.parquet"
    asyncio.run(_embed(list(videos.values()), out, d / "engine"))
    loaded = read_results(out)
    arrays = {"vectors": loaded.vectors, **{k: np.asarray(v) for k, v in loaded.metadata.items()}}
    write_columns(d / "vectors.jsonl", arrays)
    write_columns(d / "vectors.npz", arrays)
    return Library(d, videos, out, d / "vectors.jsonl", d / "vectors.npz")
