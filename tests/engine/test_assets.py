"""The engine's assets and multipart uploads, over HTTP on 127.0.0.1: every status the
flow can answer, with real video, real files on disk and the engine's own clock."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.big_files import allocated_bytes, sha256_of, sparse_padded
from twelvelabs_embed.local.app_keys import ASSET_SERVICE
from twelvelabs_embed.local.engine import LocalEngine

CHUNK = 1024 * 1024


@pytest.fixture
async def eng(tmp_path: Path) -> AsyncIterator[LocalEngine]:
    async with LocalEngine(
        data_dir=tmp_path / "data", workers=1, control=True, upload_chunk_size=CHUNK,
        allow_private_urls=True,
    ) as e:  # fmt: skip
        yield e


@pytest.fixture
async def api(eng: LocalEngine) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        base_url=eng.base_url + "/", headers={"x-api-key": eng.api_key}
    ) as s:
        yield s


@pytest.fixture
async def raw() -> AsyncIterator[aiohttp.ClientSession]:
    """No API key: what a presigned URL gets."""
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def big(media: dict[str, Path], tmp_path: Path) -> Path:
    """A real video padded to 3.5 chunks."""
    return sparse_padded(media["good"], tmp_path / "big.mp4", int(3.5 * CHUNK))


async def _json(resp: aiohttp.ClientResponse, status: int) -> Any:
    body = await resp.json()
    assert resp.status == status, body
    return body


async def _create(api: aiohttp.ClientSession, path: Path, **extra: Any) -> dict[str, Any]:
    body = {"filename": path.name, "type": "video", "total_size": path.stat().st_size, **extra}
    return await _json(await api.post("assets/multipart-uploads", json=body), 201)  # type: ignore[no-any-return]


def _chunk(path: Path, index: int, size: int = CHUNK) -> bytes:
    with path.open("rb") as f:
        f.seek((index - 1) * size)
        return f.read(size)


async def _put(raw: aiohttp.ClientSession, url: str, data: bytes, **headers: str) -> str:
    resp = await raw.put(url, data=data, headers=headers)
    assert resp.status == 200, await resp.text()
    return resp.headers["ETag"].strip('"')


def _done(index: int, etag: str, data: bytes) -> dict[str, Any]:
    return {"chunk_index": index, "proof": etag, "proof_type": "etag", "chunk_size": len(data)}


async def _ready(eng: LocalEngine, api: aiohttp.ClientSession, asset_id: str) -> dict[str, Any]:
    assert eng.app is not None
    await eng.app[ASSET_SERVICE].wait_idle()
    return await _json(await api.get(f"assets/{asset_id}"), 200)  # type: ignore[no-any-return]


async def test_multipart_upload_assembles_the_file_and_probes_it(
    eng: LocalEngine, api: aiohttp.ClientSession, raw: aiohttp.ClientSession, big: Path
) -> None:
    up = await _create(api, big, user_metadata={"shoot": "day 1"})
    assert (up["chunk_size"], up["total_chunks"], len(up["upload_urls"])) == (CHUNK, 4, 4)
    listed = await _json(await api.get("assets/multipart-uploads"), 200)
    assert [u["upload_id"] for u in listed["data"]] == [up["upload_id"]]
    reports = []
    for u in reversed(up["upload_urls"]):  # any order
        data = _chunk(big, u["chunk_index"])
        etag = await _put(raw, u["url"], data)
        assert etag == hashlib.md5(data).hexdigest()
        reports.append(_done(u["chunk_index"], etag, data))
    first = await _json(
        await api.post(f"assets/multipart-uploads/{up['upload_id']}", json={"completed_chunks": reports[:2]}), 200
    )  # fmt: skip
    assert (first["processed_chunks"], first["total_completed"], "url" in first) == (2, 2, False)
    last = await _json(
        await api.post(f"assets/multipart-uploads/{up['upload_id']}", json={"completed_chunks": reports}), 200
    )  # fmt: skip
    assert (last["processed_chunks"], last["duplicate_chunks"], last["total_completed"]) == (
        2,
        2,
        4,
    )
    assert last["url"].endswith(f"/assets/{up['asset_id']}")
    status = await _json(await api.get(f"assets/multipart-uploads/{up['upload_id']}"), 200)
    assert status["status"] == "completed" and status["uploaded_size"] == big.stat().st_size
    assert [c["status"] for c in status["uploaded_chunks"]] == ["completed"] * 4
    asset = await _ready(eng, api, up["asset_id"])
    assert asset["status"] == "ready", asset
    assert (asset["method"], asset["size"], asset["user_metadata"]) == (
        "multipart",
        big.stat().st_size,
        {"shoot": "day 1"},
    )
    assert asset["technical_metadata"]["video_width"] == 480
    stored = eng.data_dir / "assets" / up["asset_id"]
    assert sha256_of(stored) == sha256_of(big)
    assert allocated_bytes(stored) < 2 * CHUNK  # the zero padding stayed a hole
    assert (await _json(await api.get("assets/multipart-uploads"), 200))["data"] == []


async def test_wrong_missing_and_corrupted_chunks_are_failed_until_sent_again(
    eng: LocalEngine, api: aiohttp.ClientSession, raw: aiohttp.ClientSession, big: Path
) -> None:
    up = await _create(api, big)
    urls = {u["chunk_index"]: u["url"] for u in up["upload_urls"]}
    good = _chunk(big, 1)
    bad = bytes([good[0] ^ 0xFF]) + good[1:]
    bad_etag = await _put(raw, urls[1], bad)  # corrupted on the way: the ETag tells
    assert bad_etag != hashlib.md5(good).hexdigest()
    report = [_done(1, hashlib.md5(good).hexdigest(), good), _done(2, "0" * 32, _chunk(big, 2))]
    out = await _json(
        await api.post(
            f"assets/multipart-uploads/{up['upload_id']}", json={"completed_chunks": report}
        ),
        200,
    )
    assert (out["processed_chunks"], out["failed_chunks"]) == (0, [1, 2])
    status = await _json(await api.get(f"assets/multipart-uploads/{up['upload_id']}"), 200)
    chunks = {c["index"]: c for c in status["uploaded_chunks"]}
    assert chunks[1]["status"] == chunks[2]["status"] == "failed"
    assert "does not match" in chunks[1]["error"] and "No upload" in chunks[2]["error"]
    assert (status["chunks_failed"], status["chunks_pending"]) == (2, 2)
    # Content-MD5 catches it at once, and the chunk can be sent again
    resp = await raw.put(
        urls[1],
        data=bad,
        headers={"Content-MD5": base64.b64encode(hashlib.md5(good).digest()).decode()},
    )
    assert resp.status == 400 and (await resp.json())["code"] == "bad_digest"
    etag = await _put(raw, urls[1], good)
    out = await _json(
        await api.post(
            f"assets/multipart-uploads/{up['upload_id']}",
            json={"completed_chunks": [_done(1, etag, good)]},
        ),
        200,
    )
    assert out["processed_chunks"] == 1
    resp = await raw.put(urls[1], data=good)  # a completed chunk is not overwritten
    assert resp.status == 409 and (await resp.json())["code"] == "chunk_already_completed"


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda u: u.replace("signature=", "signature=0"), 403, "signature_invalid"),
        (lambda u: u.replace("/chunks/1?", "/chunks/2?"), 403, "signature_invalid"),
        (lambda u: u.split("?")[0], 403, "signature_invalid"),
        (lambda u: u.replace("expires=", "expires=9"), 403, "signature_invalid"),
    ],
)
async def test_a_url_that_was_not_signed_for_the_chunk_is_refused(
    api: aiohttp.ClientSession,
    raw: aiohttp.ClientSession,
    big: Path,
    mutate: Any,
    status: int,
    code: str,
) -> None:
    up = await _create(api, big)
    resp = await raw.put(mutate(up["upload_urls"][0]["url"]), data=_chunk(big, 1))
    body = await resp.json()
    assert (resp.status, body["code"]) == (status, code), body


async def test_expired_urls_are_refused_and_new_ones_work(
    eng: LocalEngine, api: aiohttp.ClientSession, raw: aiohttp.ClientSession, big: Path
) -> None:
    up = await _create(api, big)
    await eng.async_control.clock.advance(3601)
    resp = await raw.put(up["upload_urls"][0]["url"], data=_chunk(big, 1))
    assert resp.status == 403 and (await resp.json())["code"] == "presigned_url_expired"
    more = await _json(
        await api.post(f"assets/multipart-uploads/{up['upload_id']}/presigned-urls", json={"start": 1, "count": 2}), 200
    )  # fmt: skip
    assert (
        more["start_index"],
        more["count"],
        [u["chunk_index"] for u in more["upload_urls"]],
    ) == (1, 2, [1, 2])
    await _put(raw, more["upload_urls"][0]["url"], _chunk(big, 1))
    for body in (
        {"start": 0, "count": 1},
        {"start": 5, "count": 1},
        {"start": 1, "count": 51},
        {"start": 1},
        [],
    ):
        resp = await api.post(
            f"assets/multipart-uploads/{up['upload_id']}/presigned-urls", json=body
        )
        assert resp.status == 400, body


async def test_incomplete_uploads_expire_after_a_day(
    eng: LocalEngine, api: aiohttp.ClientSession, raw: aiohttp.ClientSession, big: Path
) -> None:
    up = await _create(api, big)
    await _put(raw, up["upload_urls"][0]["url"], _chunk(big, 1))
    await eng.async_control.clock.advance(days=1)
    listed = await _json(await api.get("assets/multipart-uploads"), 200)
    assert listed["data"] == []
    status = await _json(await api.get(f"assets/multipart-uploads/{up['upload_id']}"), 200)
    assert status["status"] == "expired"
    asset = await _json(await api.get(f"assets/{up['asset_id']}"), 200)
    assert asset["status"] == "failed" and "expired" in asset["error"]["message"]
    assert not (eng.data_dir / "assets" / up["asset_id"]).exists()
    resp = await api.post(
        f"assets/multipart-uploads/{up['upload_id']}/presigned-urls", json={"start": 1, "count": 1}
    )
    assert resp.status == 400


@pytest.mark.parametrize(
    "body",
    [
        {"filename": "a.mp4", "type": "video"},
        {"filename": "a.mp4", "type": "document", "total_size": 10},
        {"filename": "a.mp4", "type": "video", "total_size": 0},
        {"filename": "a.mp4", "type": "video", "total_size": 10 * 1000**3 + 1},
        {"filename": "a.png", "type": "image", "total_size": 32 * 1000**2 + 1},
        {"filename": "", "type": "video", "total_size": 10},
        {"filename": "a.mp4", "type": "video", "total_size": True},
        {"filename": "a.mp4", "type": "video", "total_size": 10, "user_metadata": [1]},
        ["not", "an", "object"],
    ],
)
async def test_create_upload_refuses_bad_bodies(api: aiohttp.ClientSession, body: Any) -> None:
    resp = await api.post("assets/multipart-uploads", json=body)
    assert resp.status == 400, body
    assert set(await resp.json()) == {"code", "message"}


async def test_chunk_of_the_wrong_size_and_bad_reports_are_refused(
    api: aiohttp.ClientSession, raw: aiohttp.ClientSession, big: Path
) -> None:
    up = await _create(api, big)
    url = up["upload_urls"][0]["url"]
    for data in (b"x" * 10, b"x" * (CHUNK + 1)):
        resp = await raw.put(url, data=io.BytesIO(data))
        assert resp.status == 400 and (await resp.json())["code"] == "chunk_size_invalid"
    path = f"assets/multipart-uploads/{up['upload_id']}"
    for chunks in ([], [{"chunk_index": 9, "proof": "a", "proof_type": "etag", "chunk_size": CHUNK}],
                   [{"chunk_index": 1, "proof": "a", "proof_type": "md5", "chunk_size": CHUNK}],
                   [{"chunk_index": 4, "proof": "a", "proof_type": "etag", "chunk_size": CHUNK}]):  # fmt: skip
        assert (await api.post(path, json={"completed_chunks": chunks})).status == 400, chunks
    for unknown in (
        "assets/multipart-uploads/ffffffffffffffffffffffff",
        "assets/ffffffffffffffffffffffff",
    ):
        assert (await api.get(unknown)).status == 404


async def test_direct_upload_list_and_delete(
    eng: LocalEngine, api: aiohttp.ClientSession, media: dict[str, Path]
) -> None:
    form = aiohttp.FormData()
    form.add_field("method", "direct")
    form.add_field(
        "file", media["good"].read_bytes(), filename="clip.mp4", content_type="video/mp4"
    )
    form.add_field("user_metadata", '{"k": ["a", "b"]}')
    created = await _json(await api.post("assets", data=form), 201)
    assert (created["status"], created["method"], created["filename"]) == (
        "processing",
        "direct",
        "clip.mp4",
    )
    asset = await _ready(eng, api, created["_id"])
    assert asset["status"] == "ready" and asset["duration"] == pytest.approx(4.5, abs=0.2)
    garbage = aiohttp.FormData()
    garbage.add_field("method", "direct")
    garbage.add_field("file", media["garbage"].read_bytes(), filename="bad.mp4")
    failed = await _ready(
        eng, api, (await _json(await api.post("assets", data=garbage), 201))["_id"]
    )
    assert failed["status"] == "failed" and failed["error"]["message"]
    page = await _json(await api.get("assets", params={"page_limit": "1"}), 200)
    assert [a["_id"] for a in page["data"]] == [failed["_id"]] and page["page_info"][
        "total_results"
    ] == 2
    found = await _json(await api.get("assets", params={"filename": "CLIP"}), 200)
    assert [a["_id"] for a in found["data"]] == [asset["_id"]]
    assert (await _json(await api.get("assets", params={"page": "3"}), 200))["data"] == []
    assert (await api.delete(f"assets/{asset['_id']}")).status == 204
    assert (await api.get(f"assets/{asset['_id']}")).status == 404
    assert (await api.delete(f"assets/{asset['_id']}")).status == 404
    assert not (eng.data_dir / "assets" / asset["_id"]).exists()


async def test_url_asset_is_downloaded_and_checked(
    eng: LocalEngine, api: aiohttp.ClientSession, media: dict[str, Path]
) -> None:
    async def clip(request: web.Request) -> web.FileResponse:
        return web.FileResponse(media["good"])

    app = web.Application()
    app.router.add_get("/clip.mp4", clip)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("/clip.mp4"))
        form = aiohttp.FormData()
        form.add_field("method", "url")
        form.add_field("url", url)
        created = await _json(await api.post("assets", data=form), 201)
        asset = await _ready(eng, api, created["_id"])
    assert (asset["status"], asset["method"], asset["filename"]) == ("ready", "url", "clip.mp4")
    assert asset["size"] == media["good"].stat().st_size


@pytest.mark.parametrize(
    "fields",
    [{}, {"method": "direct"}, {"method": "url"}, {"method": "other"},
     {"method": "url", "url": "ftp://x/y.mp4"}, {"method": "url", "url": "http://x", "user_metadata": "{"}],
)  # fmt: skip
async def test_create_asset_refuses_bad_forms(
    api: aiohttp.ClientSession, fields: dict[str, str]
) -> None:
    form = aiohttp.FormData(default_to_multipart=True)
    for k, v in fields.items():
        form.add_field(k, v)
    form.add_field("unused", "x")
    resp = await api.post("assets", data=form)
    assert resp.status == 400, fields
    assert (await api.post("assets", json={"method": "direct"})).status == 400


async def test_api_routes_need_the_key_and_chunk_puts_do_not(
    eng: LocalEngine, raw: aiohttp.ClientSession, api: aiohttp.ClientSession, big: Path
) -> None:
    for method, path in (
        ("GET", "assets"),
        ("POST", "assets/multipart-uploads"),
        ("GET", "assets/multipart-uploads"),
    ):
        resp = await raw.request(method, f"{eng.base_url}/{path}")
        assert resp.status == 401
    up = await _create(api, big)
    await _put(raw, up["upload_urls"][0]["url"], _chunk(big, 1))
    puts = await eng.async_control.requests.list(route="upload_chunk")
    assert [(r.method, r.status) for r in puts] == [("PUT", 200)]


async def test_a_ready_asset_feeds_embed_v2_and_cannot_go_while_a_task_reads_it(
    eng: LocalEngine, api: aiohttp.ClientSession, media: dict[str, Path]
) -> None:
    form = aiohttp.FormData()
    form.add_field("method", "direct")
    form.add_field(
        "file", media["good"].read_bytes(), filename="clip.mp4", content_type="video/mp4"
    )
    asset = await _ready(eng, api, (await _json(await api.post("assets", data=form), 201))["_id"])
    video = {"media_source": {"asset_id": asset["_id"]}}
    body = {"input_type": "video", "model_name": "marengo3.0", "video": video}
    sync = await _json(await api.post("embed-v2", json=body), 200)
    assert sync["data"] and len(sync["data"][0]["embedding"]) == 512
    await eng.async_control.lifecycle.set("manual")  # the task stays processing
    task = await _json(await api.post("embed-v2/tasks", json=body), 202)
    refused = await api.delete(f"assets/{asset['_id']}")
    assert refused.status == 409 and (await refused.json())["code"] == "asset_in_use"
    assert await eng.async_control.tasks.complete(task["_id"]) == "ready"
    assert (await api.delete(f"assets/{asset['_id']}")).status == 204
    gone = {"input_type": "video", "model_name": "marengo3.0", "video": video}
    assert (await api.post("embed-v2", json=gone)).status == 400


async def test_force_deletes_an_asset_a_task_reads_and_that_task_fails(
    eng: LocalEngine, api: aiohttp.ClientSession, media: dict[str, Path]
) -> None:
    """``force=true`` is the platform's "delete anyway": 204 where a plain delete is 409;
    the task that was to read the asset then fails as with any source that is gone."""
    form = aiohttp.FormData()
    form.add_field("method", "direct")
    form.add_field(
        "file", media["good"].read_bytes(), filename="clip.mp4", content_type="video/mp4"
    )
    asset = await _ready(eng, api, (await _json(await api.post("assets", data=form), 201))["_id"])
    video = {"media_source": {"asset_id": asset["_id"]}}
    await eng.async_control.lifecycle.set("manual")  # the task stays processing
    body = {"input_type": "video", "model_name": "marengo3.0", "video": video}
    task = await _json(await api.post("embed-v2/tasks", json=body), 202)
    assert (await api.delete(f"assets/{asset['_id']}?force=false")).status == 409
    assert (await api.delete(f"assets/{asset['_id']}?force=true")).status == 204
    assert (await api.get(f"assets/{asset['_id']}")).status == 404
    assert await eng.async_control.tasks.complete(task["_id"]) == "failed"
    assert (await api.delete(f"assets/{asset['_id']}?force=true")).status == 404
    assert (await api.delete(f"assets/{asset['_id']}?force=maybe")).status == 400
