"""Every embed.tasks method against a loopback server: what goes on the wire, what comes back."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from tests.client.conftest import make_client
from tests.fakeplatform import FakePlatform, parse_multipart
from twelvelabs_embed import AsyncTwelveLabs, TasksRetrieveResponse

VIDEO_BYTES = bytes(range(256)) * 64  # not a real video: preflight is off where this is used


@pytest.fixture
async def raw_client(fake: FakePlatform):
    async with make_client(fake, preflight=False) as c:
        yield c


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
    fake: FakePlatform, client: AsyncTwelveLabs
) -> None:
    await client.embed.tasks.create(
        "Marengo-retrieval-2.7", video_url="https://example.com/v.mp4", video_embedding_scope="clip"
    )
    (req,) = fake.requests
    fields, size = parse_multipart(req.body, req.headers["Content-Type"])
    assert fields == {
        "model_name": ["Marengo-retrieval-2.7"],
        "video_url": ["https://example.com/v.mp4"],
        "video_embedding_scope": ["clip"],
    }
    assert size == 0 and b"filename=" not in req.body


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
    fake: FakePlatform, raw_client: AsyncTwelveLabs
) -> None:
    seen: list[int] = []

    async def progress(sent: int, total: int | None) -> None:
        seen.append(sent)

    await raw_client.embed.tasks.create(
        "marengo3.0", video_file=VIDEO_BYTES, on_upload_progress=progress
    )
    assert seen[-1] == len(VIDEO_BYTES)


async def test_status_and_retrieve(fake: FakePlatform, client: AsyncTwelveLabs) -> None:
    fake.polls_until_ready = 2
    task = await client.embed.tasks.create("marengo3.0", video_url="https://example.com/a.mp4")
    assert task.id is not None
    first = await client.embed.tasks.status(task.id)
    assert (first.id, first.status, first.model_name) == (task.id, "processing", "marengo3.0")
    assert first.video_embedding is not None and first.video_embedding.metadata is not None
    assert first.video_embedding.metadata.video_clip_length == 6.0
    second = await client.embed.tasks.status(task.id)
    assert second.status == "ready" and second.done
    result = await client.embed.tasks.retrieve(task.id)
    assert isinstance(result, TasksRetrieveResponse)
    assert result.created_at is not None and result.created_at.tzinfo is not None
    assert len(result.segments) == 6
    seg = result.segments[0]
    assert seg.float_ is not None and len(seg.float_) == 512
    assert (seg.start_offset_sec, seg.end_offset_sec, seg.embedding_option) == (0.0, 6.0, "visual")
    matrix = result.to_numpy()
    assert matrix.vectors.dtype == np.float32 and matrix.vectors.shape == (6, 512)
    assert matrix.embedding_option == ("visual",) * 3 + ("audio",) * 3
    np.testing.assert_array_equal(matrix.start_offset_sec, [0, 6, 12, 0, 6, 12])
    audio = matrix.select(embedding_option="audio")
    assert audio.vectors.shape == (3, 512)
    np.testing.assert_array_equal(seg.to_numpy(), matrix.vectors[0])


async def test_retrieve_repeats_embedding_option(
    fake: FakePlatform, client: AsyncTwelveLabs
) -> None:
    task = await client.embed.tasks.create("marengo3.0", video_url="https://example.com/a.mp4")
    assert task.id
    await client.embed.tasks.retrieve(task.id, embedding_option=["visual", "audio"])
    await client.embed.tasks.retrieve(task.id, embedding_option="audio")
    await client.embed.tasks.retrieve(task.id, embedding_option=[])
    queries = [r.query for r in fake.requests if r.method == "GET"]
    assert queries == [
        [("embedding_option", "visual"), ("embedding_option", "audio")],
        [("embedding_option", "audio")],
        [],
    ]


@pytest.mark.parametrize("task_id", ["a/b", "x?y=1", "../../etc", "sp ace#frag"])
async def test_task_ids_cannot_escape_their_path_segment(
    fake: FakePlatform, client: AsyncTwelveLabs, task_id: str
) -> None:
    from twelvelabs_embed import NotFoundError

    with pytest.raises(NotFoundError):
        await client.embed.tasks.status(task_id)
    (req,) = fake.requests
    assert req.path.startswith("/v1.3/embed/tasks/") and req.path.endswith("/status")
    assert req.path.count("/") == 5 and req.query == []


async def test_list_walks_every_page_and_stops(fake: FakePlatform, client: AsyncTwelveLabs) -> None:
    for i in range(7):
        await client.embed.tasks.create("marengo3.0", video_url=f"https://example.com/{i}.mp4")
    fake.requests.clear()
    pager = await client.embed.tasks.list(
        page_limit=3, status="ready", started_at="2026-01-01T00:00:00Z"
    )
    assert len(pager.items) == 3 and pager.has_next
    assert pager.page_info is not None and pager.page_info.total_results == 7
    ids = [t.id async for t in pager]
    assert len(ids) == 7 == len(set(ids))
    pages = [p.page async for p in pager.iter_pages()]
    assert pages == [1, 2, 3]
    # The pager knows page 3 is the last: no request for an empty page 4.
    assert [dict(r.query)["page"] for r in fake.requests] == ["1", "2", "3", "2", "3"]
    assert fake.requests[0].query == [
        ("started_at", "2026-01-01T00:00:00Z"),
        ("status", "ready"),
        ("page", "1"),
        ("page_limit", "3"),
    ]


async def test_list_stops_on_an_empty_page_without_page_info(
    fake: FakePlatform, client: AsyncTwelveLabs
) -> None:
    from tests.fakeplatform import Fault

    fake.script("GET", "list", Fault(json={"data": [{"_id": "a"}]}), Fault(json={"data": []}))
    pager = await client.embed.tasks.list()
    assert [t.id async for t in pager] == ["a"]
    assert fake.count("GET", "list") == 2
    assert await (await client.embed.tasks.list(page=5)).next_page() is None


async def test_unknown_fields_are_kept(fake: FakePlatform, client: AsyncTwelveLabs) -> None:
    from tests.fakeplatform import Fault

    fake.script(
        "GET",
        "status",
        Fault(
            json={
                "_id": "t",
                "status": "failed",
                "error": {"code": "video_file_broken", "message": "m"},
                "new_field": [1],
            }
        ),
    )
    st = await client.embed.tasks.status("t")
    assert st.extra == {"new_field": [1]}
    assert st.error is not None and st.error.code == "video_file_broken"


async def test_file_object_must_be_binary(client: AsyncTwelveLabs, tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("hello")
    with open(path) as text, pytest.raises(TypeError, match="binary"):
        await client.embed.tasks.create("marengo3.0", video_file=text)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await client.embed.tasks.create("marengo3.0", video_file=12)  # type: ignore[arg-type]


async def test_missing_path_raises_file_not_found_before_any_request(
    fake: FakePlatform, client: AsyncTwelveLabs, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        await client.embed.tasks.create("marengo3.0", video_file=tmp_path / "nope.mp4")
    with pytest.raises(IsADirectoryError):
        await client.embed.tasks.create("marengo3.0", video_file=tmp_path)
    assert fake.requests == []


async def test_non_seekable_stream_is_sent_once(
    fake: FakePlatform, raw_client: AsyncTwelveLabs
) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._data = io.BytesIO(VIDEO_BYTES)

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            return self._data.read(n)

    await raw_client.embed.tasks.create("marengo3.0", video_file=Pipe())  # type: ignore[arg-type]
    (req,) = fake.requests
    _, size = parse_multipart(req.body, req.headers["Content-Type"])
    assert size == len(VIDEO_BYTES)


async def test_list_stops_when_the_server_ignores_page(
    fake: FakePlatform, client: AsyncTwelveLabs
) -> None:
    from tests.fakeplatform import Fault

    same = {"data": [{"_id": "a"}, {"_id": "b"}]}
    fake.script("GET", "list", *[Fault(json=same)] * 5)
    pager = await client.embed.tasks.list()
    assert [t.id async for t in pager] == ["a", "b"]
    assert fake.count("GET", "list") == 2
