"""Every embed.tasks method: what goes on the wire, what comes back. Against the engine
(its request log shows what was sent), or the fake platform where a test reads the raw
multipart bytes, headers or path, or uploads bytes that are not a video."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest

from tests.client.conftest import make_client
from tests.engine_double import URL, EngineDouble
from tests.fakeplatform import FakePlatform, parse_multipart
from twelvelabs_embed import AsyncTwelveLabs, TasksRetrieveResponse

VIDEO_BYTES = bytes(range(256)) * 64  # not a real video: preflight is off where this is used


@pytest.fixture
def client(engine_client: AsyncTwelveLabs) -> AsyncTwelveLabs:
    """In this module ``client`` talks to the engine."""
    return engine_client


@pytest.fixture
async def raw_client(fake: FakePlatform):
    async with make_client(fake, preflight=False) as c:
        yield c


@pytest.fixture
async def manual(double: EngineDouble) -> EngineDouble:
    """The engine with new tasks kept ``processing`` (URL tasks are never fetched)."""
    await double.control.lifecycle.set("manual")
    return double


async def test_create_from_path_sends_every_field_then_the_file(
    fake: FakePlatform, raw_client: AsyncTwelveLabs, tmp_path: Path
) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(VIDEO_BYTES)
    task = await raw_client.embed.tasks.create(
        "marengo3.0",
        video_file=path,
        video_start_offset_sec=1.5,
        video_end_offset_sec=10.0,
        video_clip_length=6,
        video_embedding_scope=["clip", "video"],
    )
    assert task.id is not None and task.id in fake.tasks
    (req,) = fake.requests
    assert req.method == "POST" and req.path == "/v1.3/embed/tasks"
    assert int(req.headers["Content-Length"]) == len(req.body)
    assert "chunked" not in req.headers.get("Transfer-Encoding", "")
    assert req.headers["x-api-key"] == fake.api_key
    fields, size = parse_multipart(req.body, req.headers["Content-Type"])
    assert fields == {
        "model_name": ["marengo3.0"],
        "video_start_offset_sec": ["1.5"],
        "video_end_offset_sec": ["10.0"],
        "video_clip_length": ["6"],
        "video_embedding_scope": ["clip", "video"],
    }
    assert size == len(VIDEO_BYTES)
    assert b'filename="clip.mp4"\r\nContent-Type: video/mp4' in req.body
    assert req.body.index(b'name="model_name"') < req.body.index(b'name="video_file"')


@pytest.mark.parametrize("kind", ["bytes", "fileobj", "fileobj_midway"])
async def test_create_from_bytes_and_file_objects(
    fake: FakePlatform, raw_client: AsyncTwelveLabs, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "a.mov"
    path.write_bytes(b"HEAD" + VIDEO_BYTES)
    if kind == "bytes":
        arg: object = VIDEO_BYTES
        filename = b'filename="upload"'
    else:
        arg = open(path, "rb")  # noqa: SIM115
        if kind == "fileobj_midway":
            arg.read(4)  # type: ignore[attr-defined]
        filename = b'filename="a.mov"'
    try:
        await raw_client.embed.tasks.create("marengo3.0", video_file=arg)  # type: ignore[arg-type]
    finally:
        if hasattr(arg, "close"):
            arg.close()
    (req,) = fake.requests
    assert filename in req.body
    _, size = parse_multipart(req.body, req.headers["Content-Type"])
    expected = len(VIDEO_BYTES) + (4 if kind == "fileobj" else 0)
    assert size == expected
    assert int(req.headers["Content-Length"]) == len(req.body)


async def test_create_from_url_sends_url_and_no_file(
    manual: EngineDouble, client: AsyncTwelveLabs
) -> None:
    await client.embed.tasks.create(
        "Marengo-retrieval-2.7", video_url=URL, video_embedding_scope="clip"
    )
    (req,) = await manual.requests()
    assert req.form == {
        "model_name": "Marengo-retrieval-2.7",
        "video_url": URL,
        "video_embedding_scope": "clip",
    }
    assert req.upload is None


async def test_upload_progress_reports_every_byte(
    fake: FakePlatform, raw_client: AsyncTwelveLabs, tmp_path: Path
) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (3 * 1024 * 1024 + 5))
    seen: list[tuple[int, int | None]] = []
    await raw_client.embed.tasks.create(
        "marengo3.0", video_file=path, on_upload_progress=lambda s, t: seen.append((s, t))
    )
    assert seen[0] == (0, path.stat().st_size)
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)


async def test_async_progress_callback_is_awaited(
    manual: EngineDouble, client: AsyncTwelveLabs, clip: bytes
) -> None:
    seen: list[int] = []

    async def progress(sent: int, total: int | None) -> None:
        seen.append(sent)

    await client.embed.tasks.create("marengo3.0", video_file=clip, on_upload_progress=progress)
    assert seen[-1] == len(clip)
    (req,) = await manual.requests()
    assert req.upload is not None and req.upload.size == len(clip)


async def test_status_and_retrieve(
    manual: EngineDouble, client: AsyncTwelveLabs, clip: bytes
) -> None:
    task = await client.embed.tasks.create("marengo3.0", video_file=clip, video_clip_length=2)
    assert task.id is not None
    first = await client.embed.tasks.status(task.id)
    assert (first.id, first.status, first.model_name) == (task.id, "processing", "marengo3.0")
    assert first.video_embedding is not None and first.video_embedding.metadata is not None
    assert first.video_embedding.metadata.video_clip_length == 2.0
    assert await manual.control.tasks.complete(task.id) == "ready"
    second = await client.embed.tasks.status(task.id)
    assert second.status == "ready" and second.done
    result = await client.embed.tasks.retrieve(task.id)
    assert isinstance(result, TasksRetrieveResponse)
    assert result.created_at is not None and result.created_at.tzinfo is not None
    assert len(result.segments) == 4  # 4.5 s in clips of 2 s: two whole clips, two options
    seg = result.segments[0]
    assert seg.float_ is not None and len(seg.float_) == 512
    assert (seg.start_offset_sec, seg.end_offset_sec, seg.embedding_option) == (0.0, 2.0, "visual")
    matrix = result.to_numpy()
    assert matrix.vectors.dtype == np.float32 and matrix.vectors.shape == (4, 512)
    assert matrix.embedding_option == ("visual",) * 2 + ("audio",) * 2
    np.testing.assert_array_equal(matrix.start_offset_sec, [0, 2, 0, 2])
    audio = matrix.select(embedding_option="audio")
    assert audio.vectors.shape == (2, 512)
    np.testing.assert_array_equal(seg.to_numpy(), matrix.vectors[0])


async def test_retrieve_repeats_embedding_option(
    manual: EngineDouble, client: AsyncTwelveLabs
) -> None:
    task = await client.embed.tasks.create("marengo3.0", video_url=URL)
    assert task.id
    await client.embed.tasks.retrieve(task.id, embedding_option=["visual", "audio"])
    await client.embed.tasks.retrieve(task.id, embedding_option="audio")
    await client.embed.tasks.retrieve(task.id, embedding_option=[])
    queries = [r.query for r in await manual.requests("retrieve_task")]
    assert queries == [
        [("embedding_option", "visual"), ("embedding_option", "audio")],
        [("embedding_option", "audio")],
        [],
    ]


@pytest.mark.parametrize("task_id", ["a/b", "x?y=1", "../../etc", "sp ace#frag"])
async def test_task_ids_cannot_escape_their_path_segment(
    fake: FakePlatform, raw_client: AsyncTwelveLabs, task_id: str
) -> None:
    client = raw_client  # the fake: the raw path as sent
    from twelvelabs_embed import NotFoundError

    with pytest.raises(NotFoundError):
        await client.embed.tasks.status(task_id)
    (req,) = fake.requests
    assert req.path.startswith("/v1.3/embed/tasks/") and req.path.endswith("/status")
    assert req.path.count("/") == 5 and req.query == []


async def test_list_walks_every_page_and_stops(
    manual: EngineDouble, client: AsyncTwelveLabs
) -> None:
    await manual.control.clock.freeze("2026-03-01T00:00:00Z")
    for i in range(7):
        await client.embed.tasks.create("marengo3.0", video_url=f"https://example.com/{i}.mp4")
    await manual.control.requests.clear()
    pager = await client.embed.tasks.list(
        page_limit=3, status="processing", started_at="2026-01-01T00:00:00Z"
    )
    assert len(pager.items) == 3 and pager.has_next
    assert pager.page_info is not None and pager.page_info.total_results == 7
    ids = [t.id async for t in pager]
    assert len(ids) == 7 == len(set(ids))
    pages = [p.page async for p in pager.iter_pages()]
    assert pages == [1, 2, 3]
    # The pager knows page 3 is the last: no request for an empty page 4.
    sent = await manual.requests("list_tasks")
    assert [dict(r.query)["page"] for r in sent] == ["1", "2", "3", "2", "3"]
    assert sent[0].query == [
        ("started_at", "2026-01-01T00:00:00Z"),
        ("status", "processing"),
        ("page", "1"),
        ("page_limit", "3"),
    ]


async def test_list_stops_on_an_empty_page_without_page_info(
    double: EngineDouble, client: AsyncTwelveLabs
) -> None:
    await double.control.faults.add(
        "list_tasks", status=200, body={"data": [{"_id": "a"}]}, count=1
    )
    await double.control.faults.add("list_tasks", status=200, body={"data": []}, count=1)
    pager = await client.embed.tasks.list()
    assert [t.id async for t in pager] == ["a"]
    assert await double.count("list_tasks") == 2
    assert await (await client.embed.tasks.list(page=5)).next_page() is None


async def test_unknown_fields_are_kept(double: EngineDouble, client: AsyncTwelveLabs) -> None:
    body = {
        "_id": "t",
        "status": "failed",
        "error": {"code": "video_file_broken", "message": "m"},
        "new_field": [1],
    }
    await double.control.faults.add("task_status", status=200, body=body, count=1)
    st = await client.embed.tasks.status("t")
    assert st.extra == {"new_field": [1]}
    assert st.error is not None and st.error.code == "video_file_broken"


async def test_file_object_must_be_binary(
    double: EngineDouble, client: AsyncTwelveLabs, tmp_path: Path
) -> None:
    path = tmp_path / "t.txt"
    path.write_text("hello")
    with open(path) as text, pytest.raises(TypeError, match="binary"):
        await client.embed.tasks.create("marengo3.0", video_file=text)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await client.embed.tasks.create("marengo3.0", video_file=12)  # type: ignore[arg-type]
    assert await double.requests() == []


async def test_missing_path_raises_file_not_found_before_any_request(
    double: EngineDouble, client: AsyncTwelveLabs, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        await client.embed.tasks.create("marengo3.0", video_file=tmp_path / "nope.mp4")
    with pytest.raises(IsADirectoryError):
        await client.embed.tasks.create("marengo3.0", video_file=tmp_path)
    assert await double.requests() == []


async def test_non_seekable_stream_is_sent_once(
    manual: EngineDouble, client: AsyncTwelveLabs, clip: bytes
) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._data = io.BytesIO(clip)

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            return self._data.read(n)

    await client.embed.tasks.create("marengo3.0", video_file=Pipe())  # type: ignore[arg-type]
    (req,) = await manual.requests()
    assert req.status == 200 and req.upload is not None
    assert (req.upload.size, req.upload.sha256) == (len(clip), hashlib.sha256(clip).hexdigest())


async def test_list_stops_when_the_server_ignores_page(
    double: EngineDouble, client: AsyncTwelveLabs
) -> None:
    same = {"data": [{"_id": "a"}, {"_id": "b"}]}
    await double.control.faults.add("list_tasks", status=200, body=same, count=5)
    pager = await client.embed.tasks.list()
    assert [t.id async for t in pager] == ["a", "b"]
    assert await double.count("list_tasks") == 2
