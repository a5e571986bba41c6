"""``client.embed.v_2`` and ``client.embed.create`` against the scriptable fake platform:
what goes on the wire, what comes back, errors, retries with identical bodies, paging.
Every test runs on the async and the sync client (``tests/sync_adapter.py``)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.client.conftest import make_client
from tests.fakeplatform import FakePlatform, Fault, parse_multipart
from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.errors import (
    ContentTooLargeError,
    NotFoundError,
    ParameterInvalidError,
    WaitTimeoutError,
)
from twelvelabs_embed.resources.media_sources import MediaSourceEvent
from twelvelabs_embed.types import (
    MediaSource,
    TextInputRequest,
    VideoInputRequest,
    VideoSegmentation_Fixed,
    VideoSegmentationFixedFixed,
)


def sent(fake: FakePlatform, i: int = -1) -> Any:
    return orjson.loads(fake.requests[i].body)


async def test_sync_text_on_the_wire_and_back(fake: FakePlatform, client: AsyncTwelveLabs) -> None:
    res = await client.embed.v_2.create(
        input_type="text", model_name="marengo3.0", text=TextInputRequest(input_text="a kite")
    )
    (req,) = fake.requests
    assert req.method == "POST" and req.path == "/v1.3/embed-v2"
    assert req.headers["Content-Type"] == "application/json"
    assert sent(fake) == {
        "input_type": "text",
        "model_name": "marengo3.0",
        "text": {"input_text": "a kite"},
    }
    assert res.metadata is None and res.data is not None and len(res.data) == 1
    matrix = res.to_numpy()
    assert matrix.vectors.shape == (1, 512) and matrix.vectors[0, 0] == 1.0


async def test_attrs_and_dict_requests_send_the_same_wire_body(
    fake: FakePlatform, client: AsyncTwelveLabs
) -> None:
    as_attrs = VideoInputRequest(
        media_source=MediaSource(base_64_string="AAAA"),
        segmentation=VideoSegmentation_Fixed(fixed=VideoSegmentationFixedFixed(duration_sec=4)),
        embedding_option=["visual"],
    )
    as_dict = {
        "media_source": {"base64_string": "AAAA"},
        "segmentation": {"strategy": "fixed", "fixed": {"duration_sec": 4}},
        "embedding_option": ["visual"],
    }
    for video in (as_attrs, as_dict):
        res = await client.embed.v_2.create(
            input_type="video", model_name="marengo3.0", video=video
        )
        assert res.data is not None and {d.embedding_option for d in res.data} == {"visual"}
    assert sent(fake, 0) == sent(fake, 1)
    assert sent(fake, 0)["video"]["media_source"] == {"base64_string": "AAAA"}


async def test_local_path_goes_as_base64_and_says_so(
    fake: FakePlatform, client: AsyncTwelveLabs, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x01video bytes")
    events: list[MediaSourceEvent] = []
    await client.embed.v_2.tasks.create(
        input_type="video",
        model_name="marengo3.0",
        video={"media_source": clip},
        on_media_source=events.append,
    )
    body = sent(fake)
    assert base64.b64decode(body["video"]["media_source"]["base64_string"]) == clip.read_bytes()
    (event,) = events
    assert (event.path, event.size, event.sent_as) == (
        str(clip),
        len(clip.read_bytes()),
        "base64_string",
    )


async def test_preflight_refuses_what_the_rules_refuse(
    fake: FakePlatform, client: AsyncTwelveLabs
) -> None:
    with pytest.raises(ParameterInvalidError) as err:
        await client.embed.v_2.create(
            input_type="text",
            model_name="marengo3.0",
            embedding_dimension=256,
            text={"input_text": "x"},
        )
    assert err.value.preflight and "marengo3.5" in err.value.message
    with pytest.raises(ContentTooLargeError) as big:
        await client.embed.v_2.create(
            input_type="video",
            model_name="marengo3.0",
            video={"media_source": {"base64_string": "A" * (37 * 1024 * 1024 * 4 // 3)}},
        )
    assert big.value.preflight
    assert fake.requests == []


async def test_v2_errors_keep_code_and_details(fake: FakePlatform, client: AsyncTwelveLabs) -> None:
    error = {"error": {"code": "content_too_large", "message": "big", "details": {"limit_mb": 36}}}
    fake.script("POST", "v2_create", Fault(status=413, json=error))
    with pytest.raises(ContentTooLargeError) as err:
        await client.embed.v_2.create(
            input_type="text", model_name="marengo3.0", text={"input_text": "x"}
        )
    assert err.value.code == "content_too_large" and err.value.details == {"limit_mb": 36}
    with pytest.raises(NotFoundError):
        await client.embed.v_2.tasks.retrieve("0123456789abcdef01234567")


async def test_a_429_is_retried_with_the_identical_body(
    fake: FakePlatform, client: AsyncTwelveLabs
) -> None:
    fake.script(
        "POST",
        "v2_task_create",
        Fault(
            status=429,
            json={"error": {"code": "too_many_requests", "message": "wait"}},
            headers={"Retry-After": "0"},
        ),
    )
    raw = await client.embed.v_2.tasks.with_raw_response.create(
        input_type="audio",
        model_name="marengo3.0",
        audio={"media_source": {"url": "https://example.com/a.wav"}},
    )
    assert raw.status_code == 202 and raw.attempts == 2 and raw.data.status == "processing"
    first, second = fake.requests
    assert first.body == second.body and first.path == second.path == "/v1.3/embed-v2/tasks"


async def test_wait_for_done_and_many(fake: FakePlatform, client: AsyncTwelveLabs) -> None:
    fake.v2.polls_until_ready = 3
    ids = []
    for _ in range(3):
        task = await client.embed.v_2.tasks.create(
            input_type="video",
            model_name="marengo3.5",
            embedding_dimension=256,
            video={"media_source": {"url": "https://example.com/v.mp4"}},
        )
        assert task.id is not None
        ids.append(task.id)
    seen: list[str | None] = []
    done = await client.embed.v_2.tasks.wait_for_done(
        ids[0], sleep_interval=0.01, callback=lambda t: seen.append(t.status)
    )
    assert seen == ["processing", "processing", "ready"] and done.data is not None
    assert done.to_numpy().vectors.shape == (6, 256)
    fake.v2.tasks[ids[2]].final_status = "failed"
    finals = await client.embed.v_2.tasks.wait_for_many(list(reversed(ids)), sleep_interval=0.01)
    assert [t.id for t in finals] == list(reversed(ids))
    assert finals[0].status == "failed" and finals[0].error is not None
    order = [t.id async for t in client.embed.v_2.tasks.as_completed(ids, sleep_interval=0.01)]
    assert sorted(order) == sorted(ids)


async def test_wait_gives_up_at_the_timeout(fake: FakePlatform, client: AsyncTwelveLabs) -> None:
    fake.v2.polls_until_ready = 10**6
    task = await client.embed.v_2.tasks.create(
        input_type="audio", model_name="marengo3.0", audio={"media_source": {"asset_id": "a1"}}
    )
    assert task.id is not None
    with pytest.raises(WaitTimeoutError) as err:
        await client.embed.v_2.tasks.wait_for_done(task.id, sleep_interval=0.01, timeout=0.05)
    assert err.value.task_id == task.id


async def test_list_pages_and_stops(fake: FakePlatform, client: AsyncTwelveLabs) -> None:
    for _ in range(5):
        await client.embed.v_2.tasks.create(
            input_type="audio",
            model_name="marengo3.0",
            audio={"media_source": {"url": "https://e.com/a.wav"}},
        )
    pager = await client.embed.v_2.tasks.list(page_limit=2, status="processing")
    ids = [t.id async for t in pager]
    assert len(ids) == 5 and len(set(ids)) == 5
    lists = [r for r in fake.requests if r.method == "GET"]
    assert [dict(r.query)["page"] for r in lists] == ["1", "2", "3"]
    assert dict(lists[0].query) == {"status": "processing", "page": "1", "page_limit": "2"}


async def test_v1_sync_embed(fake: FakePlatform, client: AsyncTwelveLabs, tmp_path: Path) -> None:
    image = tmp_path / "p.png"
    image.write_bytes(b"\x89PNG fake")
    res = await client.embed.create(
        "marengo3.0",
        text="a kite",
        image_file=image,
        audio_url="https://e.com/a.wav",
        audio_start_offset_sec=2,
    )
    (req,) = fake.requests
    assert req.path == "/v1.3/embed"
    fields, _size = parse_multipart(req.body, req.headers["Content-Type"])
    assert fields == {
        "model_name": ["marengo3.0"],
        "text": ["a kite"],
        "audio_url": ["https://e.com/a.wav"],
        "audio_start_offset_sec": ["2"],
    }
    assert b'name="image_file"; filename="p.png"\r\nContent-Type: image/png' in req.body
    assert res.text_embedding is not None and res.audio_embedding is not None
    assert res.to_numpy().embedding_option == ("text", "image", "audio")


async def test_raw_twin_of_sync_create(fake: FakePlatform) -> None:
    async with make_client(fake) as c:
        raw = await c.embed.v_2.with_raw_response.create(
            input_type="text", model_name="marengo3.0", text={"input_text": "x"}
        )
    assert raw.status_code == 200 and raw.attempts == 1 and raw.data.data is not None


async def test_embed_many_on_v2(
    fake: FakePlatform, client: AsyncTwelveLabs, tmp_path: Path
) -> None:
    fake.v2.polls_until_ready = 2
    urls = [f"https://example.com/{i}.mp4" for i in range(3)]
    results = await client.embed.v_2.tasks.embed_many(
        urls, journal=tmp_path / "job.db", poll_interval=0.01, video_clip_length=4
    )
    assert [r.source for r in results] == urls and all(r.ok for r in results)
    assert [r.segments for r in results] == [6, 6, 6]  # 3 clips x visual, audio
    creates = [orjson.loads(r.body) for r in fake.requests if r.path == "/v1.3/embed-v2/tasks"]
    assert [c["video"]["media_source"]["url"] for c in creates] == urls
    assert creates[0]["video"]["segmentation"] == {
        "strategy": "fixed",
        "fixed": {"duration_sec": 4},
    }
