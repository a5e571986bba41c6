"""The official ``twelvelabs`` SDK 1.3.6 v2 calls, unchanged, against the local engine.

Sync embeddings of text, image and video; tasks by URL and by base64; the list pager;
the errors it parses strictly (400, 404 and 413 in the v2 shape). Sync and async SDKs.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from twelvelabs import (
    AsyncTwelveLabs,
    ImageInputRequest,
    MediaSource,
    TextInputRequest,
    TwelveLabs,
    VideoInputRequest,
    VideoSegmentation_Fixed,
    VideoSegmentationFixedFixed,
)
from twelvelabs.errors import BadRequestError, ContentTooLargeError, NotFoundError
from twelvelabs.types import AsyncVideoInputRequest

from tests.videos import make_image
from twelvelabs_embed.local.engine import LocalEngine

from .conftest import API_KEY

pytestmark = [pytest.mark.timeout(180)]


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


@pytest.fixture
def threaded_engine(tmp_path: Path) -> Iterator[LocalEngine]:
    with LocalEngine(data_dir=tmp_path, api_key=API_KEY, workers=1, allow_private_urls=True) as eng:
        yield eng


@pytest.fixture
def client(threaded_engine: LocalEngine) -> Iterator[TwelveLabs]:
    with httpx.Client(timeout=120) as http:
        yield TwelveLabs(
            api_key=threaded_engine.api_key, base_url=threaded_engine.base_url, httpx_client=http
        )


@pytest.fixture
def image(tmp_path: Path) -> Path:
    return make_image(tmp_path / "still.png", width=320, height=240)


def unit(v: list[float], dim: int) -> None:
    a = np.asarray(v, dtype=np.float64)
    assert a.shape == (dim,) and abs(np.linalg.norm(a) - 1) < 1e-3


def wait_ready(client: TwelveLabs, task_id: str) -> object:
    deadline = time.monotonic() + 120
    while True:
        task = client.embed.v_2.tasks.retrieve(task_id)
        if task.status != "processing" or time.monotonic() > deadline:
            return task
        time.sleep(0.1)


def test_sync_text_image_video(client: TwelveLabs, image: Path, media: dict[str, Path]) -> None:
    text = client.embed.v_2.create(
        input_type="text", model_name="marengo3.0", text=TextInputRequest(input_text="a red kite")
    )
    assert text.metadata is None and len(text.data) == 1
    unit(text.data[0].embedding, 512)
    assert text.data[0].embedding_option is None and text.data[0].start_sec is None

    img = client.embed.v_2.create(
        input_type="image",
        model_name="marengo3.0",
        image=ImageInputRequest(media_source=MediaSource(base_64_string=b64(image))),
    )
    assert img.metadata is not None and img.metadata.input_type == "image"
    unit(img.data[0].embedding, 512)

    video = client.embed.v_2.create(
        input_type="video",
        model_name="marengo3.0",
        video=VideoInputRequest(
            media_source=MediaSource(base_64_string=b64(media["good"])),
            segmentation=VideoSegmentation_Fixed(fixed=VideoSegmentationFixedFixed(duration_sec=2)),
            embedding_option=["visual", "audio"],
        ),
    )
    md = video.metadata
    assert md is not None and md.input_type == "video" and md.clip_length == 2
    assert md.embedding_options == ["visual", "audio"] and md.duration == pytest.approx(
        4.5, abs=0.1
    )
    rows = [(d.embedding_option, d.embedding_scope, d.start_sec, d.end_sec) for d in video.data]
    assert rows[:3] == [
        ("visual", "clip", 0, 2),
        ("visual", "clip", 2, 4),
        ("visual", "asset", 0, 4),
    ]
    assert [r[0] for r in rows[3:]] == ["audio"] * 3
    for d in video.data:
        unit(d.embedding, 512)


def test_tasks_by_url_and_base64_then_list(
    client: TwelveLabs, media: dict[str, Path], file_server_thread: str
) -> None:
    by_url = client.embed.v_2.tasks.create(
        input_type="video",
        model_name="marengo3.0",
        video=AsyncVideoInputRequest(
            media_source=MediaSource(url=f"{file_server_thread}/good.mp4"),
            embedding_option=["visual"],
            embedding_scope=["clip"],
        ),
    )
    assert by_url.status == "processing" and by_url.data is None and len(by_url.id) == 24
    by_b64 = client.embed.v_2.tasks.create(
        input_type="video",
        model_name="marengo3.5",
        embedding_dimension=256,
        video={"media_source": {"base64_string": b64(media["good2"])}},
    )
    assert by_b64.metadata is not None and by_b64.metadata.embedding_dimension == 256

    done_url = wait_ready(client, by_url.id)
    assert done_url.status == "ready" and done_url.error is None  # type: ignore[attr-defined]
    assert done_url.metadata.input_url.endswith("/good.mp4")  # type: ignore[attr-defined]
    assert {d.embedding_scope for d in done_url.data} == {"clip"}  # type: ignore[attr-defined]
    done_b64 = wait_ready(client, by_b64.id)
    assert done_b64.status == "ready"  # type: ignore[attr-defined]
    for d in done_b64.data:  # type: ignore[attr-defined]
        unit(d.embedding, 256)
    assert done_b64.usage is not None and done_b64.usage.truncated is False  # type: ignore[attr-defined]

    client.embed.v_2.tasks.create(
        input_type="audio",
        model_name="marengo3.0",
        audio={"media_source": {"base64_string": b64(media["audio_only"])}},
    )
    seen = [t.id for t in client.embed.v_2.tasks.list(page_limit=2)]
    assert len(seen) == 3 and seen[1:] == [by_b64.id, by_url.id]  # newest first, all pages


def test_errors_in_the_v2_shape(client: TwelveLabs, threaded_engine: LocalEngine) -> None:
    with pytest.raises(BadRequestError) as bad:
        client.embed.v_2.create(
            input_type="text",
            model_name="marengo3.0",
            embedding_dimension=256,
            text={"input_text": "x"},
        )
    assert bad.value.body["error"]["code"] == "parameter_invalid"
    assert "marengo3.5" in bad.value.body["error"]["message"]
    with pytest.raises(NotFoundError):
        client.embed.v_2.tasks.retrieve("0123456789abcdef01234567")
    too_big = "A" * (37 * 1024 * 1024 * 4 // 3)
    with pytest.raises(ContentTooLargeError) as big:
        client.embed.v_2.create(
            input_type="video",
            model_name="marengo3.0",
            video={"media_source": {"base64_string": too_big}},
        )
    assert big.value.body.error.code == "content_too_large"


@pytest.fixture
async def async_client(threaded_engine: LocalEngine) -> AsyncIterator[AsyncTwelveLabs]:
    async with httpx.AsyncClient(timeout=120) as http:
        yield AsyncTwelveLabs(
            api_key=threaded_engine.api_key, base_url=threaded_engine.base_url, httpx_client=http
        )


async def test_async_sdk_sync_embed_and_task(
    async_client: AsyncTwelveLabs, image: Path, threaded_engine: LocalEngine
) -> None:
    res = await async_client.embed.v_2.create(
        input_type="multi_input",
        model_name="marengo3.5",
        embedding_dimension=128,
        multi_input={
            "input_text": "a scene like <@still>",
            "media_sources": [
                {"name": "still", "media_type": "image", "base64_string": b64(image)}
            ],
        },
    )
    unit(res.data[0].embedding, 128)
    assert res.usage is not None and res.usage.input_tokens["image"] == 1
    task = await async_client.embed.v_2.tasks.create(
        input_type="image",
        model_name="marengo3.5",
        image={"media_source": {"base64_string": b64(image)}},
    )
    threaded_engine.wait_idle_sync()
    done = await async_client.embed.v_2.tasks.retrieve(task.id)
    assert done.status == "ready" and len(done.data) == 1
    assert (done.data[0].embedding_option, done.data[0].embedding_scope) == ("visual", "asset")
    pager = await async_client.embed.v_2.tasks.list()
    assert [t.id async for t in pager] == [task.id]
