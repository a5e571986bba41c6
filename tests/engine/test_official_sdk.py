"""The official ``twelvelabs`` SDK 1.3.6, unchanged, against the local engine (sync and async)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from twelvelabs import AsyncTwelveLabs, BadRequestError, TwelveLabs
from twelvelabs.core import ApiError

from twelvelabs_embed.local.engine import LocalEngine

from .conftest import API_KEY

pytestmark = [pytest.mark.timeout(120)]


@pytest.fixture(autouse=True)
def _pipeline() -> None:
    pytest.importorskip("twelvelabs_embed.local.media.segments")


@pytest.fixture
def threaded_engine(tmp_path: Path) -> Iterator[LocalEngine]:
    """A fresh engine on its own loop in a thread, so the sync SDK can block freely
    (``shared_engine`` is threaded too; this one is for a test that lists)."""
    with LocalEngine(data_dir=tmp_path, api_key=API_KEY, workers=1, allow_private_urls=True) as eng:
        yield eng


@pytest.fixture
def sync_http() -> Iterator[httpx.Client]:
    """The SDK never closes its own httpx client; give it one that is closed."""
    with httpx.Client(timeout=60) as c:
        yield c


@pytest.fixture
async def async_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as c:
        yield c


def check_segments(task, dim: int, scopes: tuple[str, ...], last_end: float) -> None:  # type: ignore[no-untyped-def]
    """Platform order and unit-norm vectors; ``last_end`` is where the last clip ends."""
    segs = task.video_embedding.segments
    assert segs, "no segments"
    options = list(dict.fromkeys(s.embedding_option for s in segs))
    for opt in options:  # grouped by option; clips in time order; then the video segment
        mine = [s for s in segs if s.embedding_option == opt]
        clips = [s for s in mine if s.embedding_scope == "clip"]
        assert [s.start_offset_sec for s in clips] == sorted(s.start_offset_sec for s in clips)
        assert all(s.end_offset_sec > s.start_offset_sec for s in clips)
        assert clips[0].start_offset_sec == 0
        assert clips[-1].end_offset_sec == pytest.approx(last_end, abs=0.01)
        if "video" in scopes:
            assert mine[-1].embedding_scope == "video" and mine[:-1] == clips
    block = [s.embedding_option for s in segs]
    assert block == sorted(block, key=options.index)
    for s in segs:
        v = np.asarray(s.float_, dtype=np.float64)
        assert v.shape == (dim,) and abs(np.linalg.norm(v) - 1) < 1e-3


def test_sync_sdk_file_url_status_wait_retrieve(
    shared_engine: LocalEngine, media: dict[str, Path], sync_http: httpx.Client
) -> None:
    client = TwelveLabs(
        api_key=shared_engine.api_key, base_url=shared_engine.base_url, httpx_client=sync_http
    )
    with media["bunny"].open("rb") as f:
        created = client.embed.tasks.create(
            model_name="marengo3.0", video_file=f, video_embedding_scope=["clip", "video"]
        )
    assert len(created.id) == 24
    seen: list[str] = []
    done = client.embed.tasks.wait_for_done(
        created.id, sleep_interval=0.2, callback=lambda t: seen.append(t.status)
    )
    assert done.status == "ready" and seen[-1] == "ready"
    md = done.video_embedding.metadata
    assert md.input_filename == "bigbuckbunny.mp4" and md.video_clip_length == 6.0
    assert md.video_embedding_scope == ["clip", "video"] and md.duration == pytest.approx(
        5.3, abs=0.2
    )
    task = client.embed.tasks.retrieve(created.id)
    assert task.status == "ready" and task.created_at.tzinfo is not None
    check_segments(task, 512, ("clip", "video"), md.duration)
    assert {s.embedding_option for s in task.video_embedding.segments} == {"visual", "audio"}
    visual = client.embed.tasks.retrieve(created.id, embedding_option=["visual"])
    assert {s.embedding_option for s in visual.video_embedding.segments} == {"visual"}
    # 2.7: 1024-d vectors and its own option names
    with media["good"].open("rb") as f:
        t27 = client.embed.tasks.create(
            model_name="Marengo-retrieval-2.7", video_file=f, video_clip_length=2
        )
    assert client.embed.tasks.wait_for_done(t27.id, sleep_interval=0.2).status == "ready"
    task = client.embed.tasks.retrieve(t27.id, embedding_option="visual-text")
    check_segments(task, 1024, ("clip",), 4.0)  # 4.5 s in 2 s clips: the 0.5 s tail is dropped
    assert [s.start_offset_sec for s in task.video_embedding.segments] == [0, 2]


def test_sync_sdk_url_and_errors(
    shared_engine: LocalEngine,
    media: dict[str, Path],
    file_server_thread: str,
    sync_http: httpx.Client,
) -> None:
    client = TwelveLabs(
        api_key=shared_engine.api_key, base_url=shared_engine.base_url, httpx_client=sync_http
    )
    url = f"{file_server_thread}/good.mp4"
    created = client.embed.tasks.create(
        model_name="marengo3.0", video_url=url, video_start_offset_sec=0.0,
        video_end_offset_sec=4.0, video_clip_length=2.0,
    )  # fmt: skip
    done = client.embed.tasks.wait_for_done(created.id, sleep_interval=0.2)
    assert done.status == "ready" and done.video_embedding.metadata.input_url == url
    task = client.embed.tasks.retrieve(created.id)
    clips = [
        (s.start_offset_sec, s.end_offset_sec)
        for s in task.video_embedding.segments
        if s.embedding_option == "visual"
    ]
    assert clips == [(0, 2), (2, 4)]

    with pytest.raises(BadRequestError) as info:
        client.embed.tasks.create(model_name="marengo3.0", video_url=url, video_clip_length=11)
    assert info.value.body["code"] == "parameter_invalid"
    assert "2-10 seconds" in info.value.body["message"]
    with media["bikes"].open("rb") as f, pytest.raises(BadRequestError) as info:
        client.embed.tasks.create(model_name="marengo3.0", video_file=f)
    assert info.value.body["code"] == "video_resolution_too_low"
    with pytest.raises(BadRequestError) as info:
        client.embed.tasks.create(model_name="marengo3.0", video_url=None)  # sends video_url=""
    assert info.value.body["code"] == "parameter_not_provided"
    with pytest.raises(BadRequestError) as info:
        client.embed.tasks.status("not-a-task-id")
    assert info.value.body["code"] == "parameter_invalid"
    with pytest.raises(BadRequestError):
        client.embed.tasks.retrieve(created.id, embedding_option=["transcription"])
    with pytest.raises(ApiError) as info2:
        client.embed.tasks.status("66419a20c70bb578439bd8f4")
    assert info2.value.status_code == 404 and info2.value.body["code"] == "resource_not_exist"
    bad_key = TwelveLabs(
        api_key="tlk_wrong", base_url=shared_engine.base_url, httpx_client=sync_http
    )
    with pytest.raises(ApiError) as info2:
        bad_key.embed.tasks.list()
    assert info2.value.status_code == 401


def test_sync_sdk_list_iteration_stops(
    threaded_engine: LocalEngine, sync_http: httpx.Client
) -> None:
    client = TwelveLabs(
        api_key=threaded_engine.api_key, base_url=threaded_engine.base_url, httpx_client=sync_http
    )
    ids = [
        client.embed.tasks.create(
            model_name="marengo3.0", video_url="http://127.0.0.1:9/none.mp4"
        ).id
        for _ in range(3)
    ]
    listed = [t.id for t in client.embed.tasks.list(page_limit=2)]
    assert listed == ids[::-1]  # newest first, all three, and the pager stopped
    first = client.embed.tasks.list(page_limit=2)
    assert len(first.items) == 2 and first.items[0].created_at is not None


async def test_async_sdk(
    engine: LocalEngine, media: dict[str, Path], async_http: httpx.AsyncClient
) -> None:
    client = AsyncTwelveLabs(
        api_key=engine.api_key, base_url=engine.base_url, httpx_client=async_http
    )
    with media["good"].open("rb") as f:
        created = await client.embed.tasks.create(
            model_name="marengo3.0", video_file=f, video_clip_length=2.0,
            video_embedding_scope=["clip", "video"],
        )  # fmt: skip
    statuses: list[str] = []

    async def cb(t) -> None:  # type: ignore[no-untyped-def]
        statuses.append(t.status)

    done = await client.embed.tasks.wait_for_done(created.id, sleep_interval=0.2, callback=cb)
    assert done.status == "ready" and statuses[-1] == "ready"
    task = await client.embed.tasks.retrieve(created.id, embedding_option=["visual", "audio"])
    check_segments(task, 512, ("clip", "video"), 4.0)
    pager = await client.embed.tasks.list(page_limit=1)
    assert [t.id async for t in pager] == [created.id]
    with pytest.raises(BadRequestError) as info:
        await client.embed.tasks.create(model_name="marengo3.0")
    assert info.value.body["code"] == "parameter_not_provided"
