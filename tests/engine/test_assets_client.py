"""``client.assets.upload`` / ``client.multipart_upload.upload_file`` against the engine:
multipart and direct, resume after an interruption, expired URLs, a chunk corrupted on
the way (a loopback proxy flips a byte), the API key kept away from presigned URLs."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.big_files import sha256_of, sparse_padded
from twelvelabs_embed import AsyncTwelveLabs, TwelveLabs
from twelvelabs_embed._upload_plan import decide_resume, url_ranges
from twelvelabs_embed.errors import AssetUploadError
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.types.assets import UploadProgress

CHUNK = 1024 * 1024
pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def eng(tmp_path: Path) -> AsyncIterator[LocalEngine]:
    async with LocalEngine(
        data_dir=tmp_path / "data", workers=1, control=True, upload_chunk_size=CHUNK,
        allow_private_urls=True,
    ) as e:  # fmt: skip
        yield e


@pytest.fixture
async def client(eng: LocalEngine) -> AsyncIterator[AsyncTwelveLabs]:
    async with AsyncTwelveLabs(api_key=eng.api_key, base_url=eng.base_url, timeout=30) as c:
        yield c


@pytest.fixture
def big(media: dict[str, Path], tmp_path: Path) -> Path:
    return sparse_padded(media["good"], tmp_path / "big.mp4", 20 * CHUNK + 4321)  # 21 chunks


def _stored(eng: LocalEngine, asset_id: str) -> Path:
    return eng.data_dir / "assets" / asset_id


async def _chunk_puts(eng: LocalEngine) -> list[Any]:
    return await eng.async_control.requests.list(route="upload_chunk")


async def test_upload_sends_every_chunk_once_and_waits_until_ready(
    eng: LocalEngine, client: AsyncTwelveLabs, big: Path, tmp_path: Path
) -> None:
    seen: list[UploadProgress] = []
    result = await client.assets.upload(
        big, state_dir=tmp_path / "state", multipart_threshold=CHUNK, concurrency=3,
        batch_size=4, progress_callback=seen.append, user_metadata={"take": "2"},
    )  # fmt: skip
    assert result.asset is not None and result.asset.status == "ready"
    assert (result.chunks_sent, result.resumed) == (21, False)
    assert sha256_of(_stored(eng, result.asset_id)) == sha256_of(big)
    puts = await _chunk_puts(eng)
    assert len(puts) == 21 and {p.status for p in puts} == {200}
    assert seen[-1].status == "ready" and seen[-1].completed_bytes == big.stat().st_size
    confirmed = [p.completed_chunks for p in seen if p.status == "uploading"]
    assert confirmed == sorted(confirmed) and max(confirmed) == 21
    assert any(p.in_flight_bytes > 0 for p in seen)
    assert list((tmp_path / "state").glob("*.json")) == []  # nothing left to resume
    assert (await client.assets.retrieve(result.asset_id)).user_metadata == {"take": "2"}


class Interrupt(Exception):
    pass


async def test_a_rerun_sends_only_what_the_platform_lacks(
    eng: LocalEngine, client: AsyncTwelveLabs, big: Path, tmp_path: Path
) -> None:
    def stop_after_nine(p: UploadProgress) -> None:
        if p.completed_chunks >= 9:
            raise Interrupt  # as Ctrl-C would, between two reports

    with pytest.raises(Interrupt):
        await client.assets.upload(big, state_dir=tmp_path / "s", multipart_threshold=CHUNK,
                                   concurrency=2, batch_size=3, progress_callback=stop_after_nine)  # fmt: skip
    (upload,) = [u async for u in await client.multipart_upload.list_incomplete_uploads()]
    status = await client.multipart_upload.get_status(upload.upload_id, page_limit=50)
    had = {c.index for c in status.items if c.status == "completed"}
    assert len(had) >= 9
    first_run = {p.path for p in await _chunk_puts(eng)}
    await eng.async_control.requests.clear()
    result = await client.assets.upload(big, state_dir=tmp_path / "s", multipart_threshold=CHUNK,
                                        concurrency=2, batch_size=3)  # fmt: skip
    assert result.resumed and result.upload_id == upload.upload_id
    again = [int(p.path.rsplit("/", 1)[1]) for p in await _chunk_puts(eng)]
    assert not set(again) & had, "a chunk the platform had was sent again"
    assert len(again) == result.chunks_sent <= 21 - len(had)
    assert len(first_run) + len(again) <= 21 + 2  # at most the chunks in flight at the stop
    assert sha256_of(_stored(eng, result.asset_id)) == sha256_of(big)


async def test_expired_urls_are_replaced(
    eng: LocalEngine, client: AsyncTwelveLabs, big: Path
) -> None:
    async def age_the_urls(p: UploadProgress) -> None:
        if p.completed_chunks == 4 and not aged:
            aged.append(True)
            await eng.async_control.clock.advance(2 * 3600)

    aged: list[bool] = []
    result = await client.multipart_upload.upload_file(
        big, max_workers=1, batch_size=4, progress_callback=age_the_urls, resume=False
    )
    assert aged
    refused = [p for p in await _chunk_puts(eng) if p.status == 403]
    assert refused, "no PUT met an expired URL"
    more = await eng.async_control.requests.list(route="presigned_urls")
    assert more and all(r.status == 200 for r in more)
    await client.assets.wait_for_ready(result.asset_id, sleep_interval=0.05)
    assert sha256_of(_stored(eng, result.asset_id)) == sha256_of(big)


@pytest.fixture
async def corrupting_proxy(eng: LocalEngine) -> AsyncIterator[dict[str, Any]]:
    """Forwards everything to the engine; flips one byte of the first PUT of chunk 2 and
    notes whether any PUT carried an API key."""
    state: dict[str, Any] = {"flipped": 0, "keys_on_puts": 0}
    target = f"http://127.0.0.1:{eng.port}"

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if request.method == "PUT":
            state["keys_on_puts"] += "x-api-key" in request.headers
            if request.path.endswith("/chunks/2") and not state["flipped"]:
                state["flipped"] = 1
                body = bytes([body[0] ^ 0xFF]) + body[1:]
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding")
        }
        async with (
            aiohttp.ClientSession(auto_decompress=False) as s,
            s.request(request.method, target + request.path_qs, data=body, headers=headers) as r,
        ):
            payload = await r.read()
            out = {
                k: v
                for k, v in r.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
            }
            return web.Response(status=r.status, body=payload, headers=out)

    app = web.Application(client_max_size=64 << 20)
    app.router.add_route("*", "/{tail:.*}", forward)
    async with TestServer(app, host="127.0.0.1") as server:
        state["base_url"] = str(server.make_url("/v1.3"))
        yield state


async def test_a_chunk_corrupted_on_the_way_is_sent_again_and_puts_carry_no_key(
    eng: LocalEngine, corrupting_proxy: dict[str, Any], big: Path
) -> None:
    async with AsyncTwelveLabs(api_key=eng.api_key, base_url=corrupting_proxy["base_url"]) as c:
        result = await c.assets.upload(
            big, multipart_threshold=CHUNK, resume=False, retry_delay=0.01
        )
    assert corrupting_proxy["flipped"] == 1
    assert corrupting_proxy["keys_on_puts"] == 0
    puts = await _chunk_puts(eng)
    assert [p.path.endswith("/chunks/2") for p in puts].count(True) == 2
    assert result.chunks_sent == 21
    assert sha256_of(_stored(eng, result.asset_id)) == sha256_of(big)


async def test_direct_upload_url_assets_and_a_failed_asset(
    eng: LocalEngine, client: AsyncTwelveLabs, media: dict[str, Path], tmp_path: Path
) -> None:
    small = await client.assets.upload(media["good"])
    assert small.upload_id is None and small.asset and small.asset.status == "ready"
    assert (await _chunk_puts(eng)) == []
    with pytest.raises(AssetUploadError, match="failed"):
        await client.assets.upload(media["garbage"])

    async def clip(request: web.Request) -> web.FileResponse:
        return web.FileResponse(media["good"])

    app = web.Application()
    app.router.add_get("/clip.mp4", clip)
    async with TestServer(app, host="127.0.0.1") as server:
        made = await client.assets.create(method="url", url=str(server.make_url("/clip.mp4")))
        ready = await client.assets.wait_for_ready(made.id, sleep_interval=0.05)
    assert ready.size == media["good"].stat().st_size
    ids = [a.id async for a in await client.assets.list(page_limit=1)]
    assert ready.id in ids and small.asset_id in ids
    await client.assets.delete(ready.id)


def test_the_sync_client_uploads_too(media: dict[str, Path], tmp_path: Path) -> None:
    big = sparse_padded(media["good"], tmp_path / "b.mp4", 3 * CHUNK)
    seen: list[int] = []
    with (
        LocalEngine(data_dir=tmp_path / "d", workers=1, upload_chunk_size=CHUNK) as eng,
        TwelveLabs(api_key=eng.api_key, base_url=eng.base_url) as c,
    ):
        result = c.assets.upload(big, multipart_threshold=CHUNK, state_dir=tmp_path / "s",
                                     progress_callback=lambda p: seen.append(p.completed_chunks))  # fmt: skip
        assert result.asset is not None and result.asset.status == "ready"
        pages = list(c.multipart_upload.get_status(result.upload_id or "", page_limit=2))
        assert [ch.status for ch in pages] == ["completed"] * 3
    assert seen and seen[-1] == 3


@pytest.mark.parametrize(
    ("status", "done", "etags", "action", "missing", "report"),
    [
        (None, [], {}, "start", (), ()),
        ("expired", [1], {2: "e"}, "start", (), ()),
        ("completed", [], {}, "finish", (), ()),
        ("active", [1, 2, 3], {}, "finish", (), ()),
        ("active", [1, 3], {2: "e"}, "send", (2,), (2,)),
        ("active", [], {3: "e"}, "send", (1, 2, 3), (3,)),
    ],
)
def test_resume_decisions(status: Any, done: list[int], etags: dict[int, str], action: str,
                          missing: tuple[int, ...], report: tuple[int, ...]) -> None:  # fmt: skip
    d = decide_resume(status, 3, done, etags)
    assert (d.action, d.missing, d.report_first) == (action, missing, report)


def test_url_ranges() -> None:
    assert url_ranges([5, 1, 2, 3, 9], 2) == [(1, 2), (3, 1), (5, 1), (9, 1)]
    assert url_ranges(range(1, 121), 50) == [(1, 50), (51, 50), (101, 20)]
    assert hashlib.md5(b"").hexdigest()  # the ETag algorithm S3 uses for one part


async def test_a_v2_file_over_the_base64_allowance_goes_up_as_an_asset(
    eng: LocalEngine, client: AsyncTwelveLabs, media: dict[str, Path], tmp_path: Path
) -> None:
    big = sparse_padded(media["good"], tmp_path / "big.mp4", 37 * 1024 * 1024)
    events: list[Any] = []
    out = await client.embed.v_2.create(
        input_type="video", model_name="marengo3.0", video={"media_source": big},
        on_media_source=events.append,
    )  # fmt: skip
    assert out.data and len(out.data[0].embedding) == 512
    (event,) = events
    assert event.sent_as == "asset_id" and event.asset_id
    assert (await client.assets.retrieve(event.asset_id)).status == "ready"


async def test_a_v2_task_reports_the_bytes_of_its_asset_upload(
    eng: LocalEngine, client: AsyncTwelveLabs, media: dict[str, Path], tmp_path: Path
) -> None:
    """A bulk job's progress line counts the bytes of uploads in flight through the create's
    ``on_upload_progress``; a v2 input that goes up as an asset reports them there too."""
    big = sparse_padded(media["good"], tmp_path / "big.mp4", 37 * 1024 * 1024)
    seen: list[tuple[int, int | None]] = []
    task = await client.embed.v_2.tasks.create(
        input_type="video", model_name="marengo3.0", video={"media_source": big},
        on_upload_progress=lambda sent, total: seen.append((sent, total)),
    )  # fmt: skip
    assert task.id
    size = big.stat().st_size
    # the asset's bytes come first (all confirmed), then the small JSON create body's
    asset_part = [p for p in seen if p[1] == size]
    assert asset_part and asset_part[-1] == (size, size)
    assert seen.index(asset_part[-1]) < len(seen) - 1
