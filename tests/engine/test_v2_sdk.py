"""This SDK's v2 and ``/embed`` methods against the local engine, async and sync."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.videos import make_image
from twelvelabs_embed import (
    AsyncTwelveLabs,
    ParameterInvalidError,
    TwelveLabs,
    VideoInputRequest,
)
from twelvelabs_embed.local.engine import LocalEngine

from .conftest import API_KEY

pytestmark = [pytest.mark.timeout(180)]


@pytest.fixture
async def client(engine: LocalEngine) -> AsyncIterator[AsyncTwelveLabs]:
    async with AsyncTwelveLabs(engine.api_key, base_url=engine.base_url, timeout=120) as c:
        yield c


async def test_every_async_method(
    client: AsyncTwelveLabs, media: dict[str, Path], tmp_path: Path
) -> None:
    still = make_image(tmp_path / "s.png", width=256, height=256)
    v1 = await client.embed.create("marengo3.0", text="a kite", image_file=still)
    assert v1.to_numpy().vectors.shape == (2, 512)

    sync = await client.embed.v_2.create(
        input_type="video",
        model_name="marengo3.0",
        video=VideoInputRequest(media_source=media["good"], embedding_option=["visual"]),
    )
    assert sync.metadata is not None and sync.metadata.duration == pytest.approx(4.5, abs=0.1)
    assert set(sync.to_numpy().embedding_scope) == {"clip", "asset"}
    raw = await client.embed.v_2.with_raw_response.create(
        input_type="image", model_name="marengo3.0", image={"media_source": still}
    )
    assert raw.status_code == 200 and raw.headers["X-Api-Version"] == "v1.3"

    created = [
        await client.embed.v_2.tasks.create(
            input_type=kind, model_name="marengo3.0", **{kind: {"media_source": media[name]}}
        )
        for kind, name in (("video", "good"), ("audio", "audio_only"))
    ]
    ids = [t.id for t in created if t.id is not None]
    finals = await client.embed.v_2.tasks.wait_for_many(ids, sleep_interval=0.1)
    assert [t.status for t in finals] == ["ready", "ready"]
    one = await client.embed.v_2.tasks.wait_for_done(ids[0], sleep_interval=0.1)
    assert one.to_numpy().vectors.shape[1] == 512
    assert sorted([t.id async for t in client.embed.v_2.tasks.as_completed(ids)]) == sorted(ids)
    listed = [t async for t in await client.embed.v_2.tasks.list(page_limit=1)]
    assert [t.id for t in listed] == ids[::-1]
    audio_md = listed[0].audio_embedding.metadata if listed[0].audio_embedding else None
    assert audio_md is not None and audio_md.audio_embedding_option == ["audio"]
    video_md = listed[1].video_embedding.metadata if listed[1].video_embedding else None
    assert video_md is not None and video_md.duration == pytest.approx(4.5, abs=0.1)
    again = await client.embed.v_2.tasks.retrieve(ids[1])
    assert {d.embedding_option for d in again.data or []} == {"audio"}
    with pytest.raises(ParameterInvalidError) as refused:
        await client.embed.v_2.tasks.create(
            input_type="video",
            model_name="marengo3.0",
            video={"media_source": {"url": "ftp://x/a.mp4"}},
        )
    assert refused.value.preflight


@pytest.fixture
def threaded(tmp_path: Path) -> Iterator[LocalEngine]:
    with LocalEngine(data_dir=tmp_path, api_key=API_KEY, workers=1) as eng:
        yield eng


def test_the_sync_client(threaded: LocalEngine, media: dict[str, Path]) -> None:
    with TwelveLabs(threaded.api_key, base_url=threaded.base_url, timeout=120) as client:
        text = client.embed.v_2.create(
            input_type="text", model_name="marengo3.0", text={"input_text": "a kite"}
        )
        assert text.data is not None and len(text.data[0].embedding or []) == 512
        task = client.embed.v_2.tasks.create(
            input_type="video",
            model_name="marengo3.5",
            embedding_dimension=128,
            video={"media_source": media["good2"]},
        )
        assert task.id is not None
        seen: list[str | None] = []
        done = client.embed.v_2.tasks.wait_for_done(
            task.id, sleep_interval=0.1, callback=lambda t: seen.append(t.status)
        )
        assert done.status == "ready" and seen[-1] == "ready"
        vectors = done.to_numpy().vectors
        assert vectors.shape[1] == 128 and np.allclose(
            np.linalg.norm(vectors, axis=1), 1, atol=1e-5
        )
        v1 = client.embed.create("Marengo-retrieval-2.7", text="a kite")
        assert v1.to_numpy().vectors.shape == (1, 1024)
