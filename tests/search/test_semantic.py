"""The ``semantic`` encoder (``model`` extra) with its real weights: text finds the photo,
through the encoder and through the real engine. Run by the ``model`` nox session.

Photos are the real ones shipped in the scikit-image wheel (``tests/photos.py``).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("skimage")

from tests.photos import PHOTOS, ken_burns, photo_paths, read_image, write
from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.local.media.encoders import load_encoder, project
from twelvelabs_embed.search import SearchIndex
from twelvelabs_embed.search.query import embed_query

CHOSEN = ("chelsea.png", "coffee.png", "motorcycle_left.png", "rocket.jpg", "camera.png")


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    return load_encoder("semantic")


def test_text_finds_its_photo(encoder) -> None:  # type: ignore[no-untyped-def]
    paths = photo_paths()
    images = [
        next(iter(ken_burns(read_image(paths[n]), 0.1, seed=0, size=(224, 224)))) for n in CHOSEN
    ]
    photos = np.stack([encoder.encode_frames(img[None]) for img in images])
    texts = np.stack([encoder.encode_text(PHOTOS[n]) for n in CHOSEN])
    assert photos.shape == texts.shape == (len(CHOSEN), 384)
    np.testing.assert_allclose(np.linalg.norm(photos, axis=1), 1.0, rtol=1e-5)
    sims = texts @ photos.T
    assert (np.argmax(sims, axis=1) == np.arange(len(CHOSEN))).all(), np.round(sims, 3)
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # nothing may reach a model hub


def test_text_and_frames_are_deterministic(encoder) -> None:  # type: ignore[no-untyped-def]
    a = encoder.encode_text("a cat on a sofa")
    b = load_encoder("semantic").encode_text("a cat on a sofa")
    np.testing.assert_array_equal(a, b)
    assert float(a @ encoder.encode_text("a kitten")) > float(a @ encoder.encode_text("a rocket"))


async def _embed_and_query(
    videos: list[Path], out: Path, data: Path, texts: list[str]
) -> list[np.ndarray]:
    """Embed the videos (v1 tasks), then the texts through the v2 sync endpoint."""
    async with (
        LocalEngine(data_dir=data, workers=1, encoder="semantic") as engine,
        AsyncTwelveLabs(engine.api_key, base_url=engine.base_url) as client,
    ):
        results = await client.embed.tasks.embed_many(
            videos, out=out, video_clip_length=4, poll_interval=0.2, timeout=400
        )
        assert all(r.state == "retrieved" for r in results), results
        index = SearchIndex.from_results(out)
        return [await embed_query(client, index, text=t) for t in texts]


@pytest.mark.timeout(600)
def test_engine_clips_are_found_by_text(encoder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = photo_paths()
    videos = [
        write(tmp_path / f"{Path(n).stem}.mp4", ken_burns(read_image(paths[n]), 8.0, seed=i))
        for i, n in enumerate(CHOSEN[:3])
    ]
    out = tmp_path / "vectors.npz"
    texts = [PHOTOS[n] for n in CHOSEN[:3]]
    queries = asyncio.run(_embed_and_query(videos, out, tmp_path / "engine", texts))
    index = SearchIndex.from_results(out)
    for video, name, query in zip(videos, CHOSEN[:3], queries, strict=True):
        hits = index.search(query, k=3, filters=None)
        assert hits[0].source == str(video) and hits[0].embedding_option == "visual", hits
        # the v2 text vector is the encoder's, projected with the visual option's salt
        own = project(encoder.encode_text(PHOTOS[name]), 512, salt="marengo3.0/visual/semantic")
        np.testing.assert_allclose(query, own, atol=1e-5)
