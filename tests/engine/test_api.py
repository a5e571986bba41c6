"""The engine over HTTP (aiohttp client): status codes, error bodies, paging, persistence."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from pathlib import Path

import aiohttp
import orjson
import pytest

from twelvelabs_embed.local.app_keys import TASK_RUNNER
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.local.store import TaskRecord, TaskStore

from .conftest import API_KEY, form, wait_done

pytestmark = pytest.mark.timeout(120)
HEX24 = re.compile(r"^[0-9a-f]{24}$")


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def http(shared_http: aiohttp.ClientSession) -> aiohttp.ClientSession:
    """Every test here that talks through ``http`` keeps no state of its own (it tracks
    its task by id, or is refused): they share one engine and its warm workers."""
    return shared_http


@pytest.fixture
def pipeline() -> None:
    pytest.importorskip("twelvelabs_embed.local.media.segments")


async def create(http: aiohttp.ClientSession, **fields: object) -> tuple[int, dict]:  # type: ignore[type-arg]
    async with http.post("embed/tasks", data=form(**fields)) as r:
        assert r.headers["X-Api-Version"] == "v1.3"
        assert r.content_type == "application/json"
        return r.status, await r.json()


def media_files(engine: LocalEngine) -> list[Path]:
    return sorted((engine.data_dir / "media").iterdir())


# --- create: videos -----------------------------------------------------------------


async def test_create_upload_answers_id(
    http: aiohttp.ClientSession, media: dict[str, Path]
) -> None:
    status, body = await create(http, model_name="marengo3.0", video_file=media["good"])
    assert status == 200 and set(body) == {"_id"} and HEX24.match(body["_id"])
    async with http.get(f"embed/tasks/{body['_id']}/status") as r:
        st = await r.json()
    md = st["video_embedding"]["metadata"]
    assert md["input_filename"] == "good.mp4" and md["duration"] == pytest.approx(4.5, abs=0.2)
    assert md["video_clip_length"] == 6 and md["video_embedding_scope"] == ["clip"]
    assert "input_url" not in md and "created_at" not in st


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("short", "video_duration_too_short", "too short"),
        ("small", "video_resolution_too_low", "320x240"),
        ("bikes", "video_resolution_too_low", "640x272"),
        ("carphone", "video_resolution_too_low", "176x144"),
        ("wide", "video_resolution_invalid_aspect_ratio", "1000x360"),
        ("garbage", "video_file_broken", "Cannot read video file"),
        ("truncated", "video_file_broken", "Cannot read video file"),
        ("audio_only", "video_file_broken", "No video stream"),
        ("empty", "video_file_broken", "empty"),
    ],
)
async def test_bad_videos_refused_at_create(
    http: aiohttp.ClientSession,
    shared_engine: LocalEngine,
    media: dict[str, Path],
    name: str,
    code: str,
    words: str,
) -> None:
    before = set(media_files(shared_engine))  # other tests' uploads may still be processing
    status, body = await create(http, model_name="marengo3.0", video_file=media[name])
    assert status == 400, body
    assert body["code"] == code and words in body["message"]
    assert set(media_files(shared_engine)) <= before  # the refused upload is gone


async def test_offsets_checked_against_duration(
    http: aiohttp.ClientSession, media: dict[str, Path]
) -> None:
    status, body = await create(
        http,
        model_name="marengo3.0",
        video_file=media["good"],
        video_start_offset_sec=0,
        video_end_offset_sec=100,
    )
    assert status == 400 and body["code"] == "parameter_invalid"
    assert "video_end_offset_sec" in body["message"]


# --- create: parameters -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({}, "parameter_not_provided", "`model_name`"),
        ({"model_name": "marengo9"}, "parameter_invalid", "`model_name`"),
        ({"model_name": "marengo3.0"}, "parameter_not_provided", "`video_file`"),
        ({"video_clip_length": "1"}, "parameter_invalid", "should be within 2-10 seconds long"),
        ({"video_clip_length": "10.5"}, "parameter_invalid", "should be within 2-10 seconds long"),
        ({"video_clip_length": "abc"}, "parameter_invalid", "must be a number"),
        ({"video_clip_length": "nan"}, "parameter_invalid", "finite"),
        ({"video_start_offset_sec": "1"}, "parameter_invalid", "must be given together"),
        (
            {"video_start_offset_sec": "5", "video_end_offset_sec": "5"},
            "parameter_invalid",
            "should be greater than `video_start_offset_sec`",
        ),
        (
            {"video_start_offset_sec": "0", "video_end_offset_sec": "4", "video_clip_length": "6"},
            "parameter_invalid",
            "`video_clip_length` should not be longer",
        ),
        (
            {"video_start_offset_sec": "-1", "video_end_offset_sec": "4"},
            "parameter_invalid",
            "0 or more",
        ),
        ({"video_embedding_scope": "frame"}, "parameter_invalid", "'frame'"),
        ({"video_url": "ftp://example.com/a.mp4"}, "parameter_invalid", "http(s)"),
        ({"video_url": "file:///etc/passwd"}, "parameter_invalid", "http(s)"),
    ],
)
async def test_parameter_rules(
    http: aiohttp.ClientSession, fields: dict[str, str], code: str, words: str
) -> None:
    defaults = {} if not fields or "model_name" in fields else {"model_name": "marengo3.0"}
    if "video_url" not in fields and fields and "model_name" not in fields:
        defaults["video_url"] = "http://example.com/v.mp4"
    status, body = await create(http, **{**defaults, **fields})
    assert status == 400, body
    assert body["code"] == code and words in body["message"], body


async def test_several_violations_join_messages(http: aiohttp.ClientSession) -> None:
    status, body = await create(http, video_clip_length="11", video_url="http://x.test/v.mp4")
    assert status == 400 and body["code"] == "parameter_not_provided"
    assert "`model_name`" in body["message"] and "2-10 seconds" in body["message"]


# --- create: multipart quirks -------------------------------------------------------


async def test_quirks_numbers_scopes_empty_url(
    http: aiohttp.ClientSession, media: dict[str, Path]
) -> None:
    status, body = await create(
        http,
        model_name="marengo3.0",
        video_url="",  # what SDK 1.x sends for an explicit None
        video_start_offset_sec="0.0",
        video_end_offset_sec="4",
        video_clip_length="2.0",
        video_embedding_scope=["clip", "video", "clip"],
        video_file=media["good"],
    )
    assert status == 200, body
    async with http.get(f"embed/tasks/{body['_id']}/status") as r:
        md = (await r.json())["video_embedding"]["metadata"]
    assert md["video_clip_length"] == 2 and md["video_embedding_scope"] == ["clip", "video"]


async def test_video_url_as_file_part_wins(tmp_path: Path, file_server, media) -> None:  # type: ignore[no-untyped-def]
    url = str(file_server.make_url("/files/good"))
    async with (
        LocalEngine(data_dir=tmp_path, workers=1, allow_private_urls=True) as eng,
        aiohttp.ClientSession() as s,
    ):
        fd = aiohttp.FormData()
        fd.add_field("model_name", "marengo3.0")
        fd.add_field("video_url", url)
        fd.add_field("video_url", url.encode(), filename="upload")  # SDK 0.4 sends it twice
        fd.add_field("video_file", media["garbage"].read_bytes(), filename="x.mp4")
        async with s.post(eng.base_url + "/embed/tasks", data=fd) as r:
            assert r.status == 200, await r.text()
            task_id = (await r.json())["_id"]
        async with s.get(f"{eng.base_url}/embed/tasks/{task_id}/status") as r:
            md = (await r.json())["video_embedding"]["metadata"]
        assert md["input_url"] == url and "input_filename" not in md
        assert [p.name for p in media_files(eng) if p.suffix == ".upload"] == []
        await eng.wait_idle()  # let the download finish before the file server goes away


async def test_empty_body_and_wrong_content_types(http: aiohttp.ClientSession) -> None:
    async with http.post("embed/tasks") as r:  # an SDK retry: no body, no content type
        assert r.status == 400
        assert (await r.json())["code"] == "parameter_not_provided"
    async with http.post("embed/tasks", json={"model_name": "marengo3.0"}) as r:
        assert r.status == 400 and (await r.json())["code"] == "content_type_invalid"
    bad = b'--XX\r\nContent-Disposition: form-data; name="model_name"\r\n\r\nmar'
    headers = {"Content-Type": "multipart/form-data; boundary=XX"}
    async with http.post("embed/tasks", data=bad, headers=headers) as r:
        assert r.status == 400, await r.text()
    headers = {"Content-Type": "multipart/form-data"}  # no boundary
    async with http.post("embed/tasks", data=b"garbage", headers=headers) as r:
        assert r.status == 400, await r.text()


async def test_size_limit_while_streaming(tmp_path: Path) -> None:
    limit = 64 * 1024
    async with (
        LocalEngine(data_dir=tmp_path, api_key=API_KEY, workers=1, max_file_size=limit) as eng,
        aiohttp.ClientSession(headers={"x-api-key": API_KEY}) as s,
    ):
        fd = aiohttp.FormData()
        fd.add_field("model_name", "marengo3.0")
        fd.add_field("video_file", b"\x00" * (limit + 1), filename="big.mp4")
        async with s.post(eng.base_url + "/embed/tasks", data=fd) as r:
            body = await r.json()
        assert r.status == 400 and body["code"] == "video_filesize_too_large"
        assert str(limit) in body["message"]
        assert media_files(eng) == []
        fd = aiohttp.FormData()  # exactly the limit passes the size rule (then fails to decode)
        fd.add_field("model_name", "marengo3.0")
        fd.add_field("video_file", b"\x00" * limit, filename="big.mp4")
        async with s.post(eng.base_url + "/embed/tasks", data=fd) as r:
            assert (await r.json())["code"] == "video_file_broken"


# --- auth, ids, routing -------------------------------------------------------------


async def test_api_key(shared_engine: LocalEngine) -> None:
    async with aiohttp.ClientSession() as s:
        for headers in ({}, {"x-api-key": "tlk_wrong"}, {"x-api-key": "ü"}):
            async with s.get(shared_engine.base_url + "/embed/tasks", headers=headers) as r:
                assert r.status == 401
                assert (await r.json())["code"] == "api_key_invalid"
        async with s.get(shared_engine.base_url + "/openapi.json") as r:
            assert r.status == 200  # the description is public
            spec = orjson.loads(await r.read())
    assert spec["openapi"].startswith("3.")
    assert {
        "/embed/tasks",
        "/embed/tasks/{task_id}",
        "/embed/tasks/{task_id}/status",
        "/embed",
        "/embed-v2",
        "/embed-v2/tasks",
        "/embed-v2/tasks/{task_id}",
        "/assets",
        "/assets/multipart-uploads/{upload_id}/chunks/{chunk_index}",
    } <= set(spec["paths"])


@pytest.mark.parametrize(
    "raw_id", ["abc", "a%2Fb", "66419a20c70bb578439bd8f%3F", "66419A20C70BB578439BD8F4", "x" * 24]
)
@pytest.mark.parametrize("suffix", ["", "/status"])
async def test_bad_task_ids(http: aiohttp.ClientSession, raw_id: str, suffix: str) -> None:
    url = http._base_url.join(aiohttp.client.URL(f"embed/tasks/{raw_id}{suffix}", encoded=True))  # type: ignore[union-attr]
    async with http.get(url) as r:
        body = await r.json()
    assert r.status == 400 and body == {
        "code": "parameter_invalid",
        "message": "The `task_id` parameter is invalid. `task_id` value is invalid",
    }


async def test_unknown_task_and_routes(http: aiohttp.ClientSession) -> None:
    for path in (
        "embed/tasks/66419a20c70bb578439bd8f4",
        "embed/tasks/66419a20c70bb578439bd8f4/status",
    ):
        async with http.get(path) as r:
            assert r.status == 404 and (await r.json())["code"] == "resource_not_exist"
    async with http.get("nothing/here") as r:
        assert r.status == 404 and r.content_type == "application/json"
    async with http.delete("embed/tasks") as r:
        assert r.status == 405 and r.content_type == "application/json"
        assert "POST" in r.headers["Allow"]


# --- list ---------------------------------------------------------------------------


async def _insert(
    store_dir: Path, n: int, *, age_days: float = 0, status: str = "ready"
) -> list[str]:
    store = TaskStore(store_dir / "tasks.sqlite3")
    await store.open()
    ids = []
    try:
        base = now_ms() - int(age_days * 86400 * 1000)
        for i in range(n):
            tid = f"{base // 1000 & 0xFFFFFFFF:08x}{i:016x}"
            await store.insert(
                TaskRecord(
                    tid, "marengo3.0", status, base + i, base + i, input_url="http://x.test/v.mp4"
                )
            )
            ids.append(tid)
    finally:
        await store.close()
    return ids


async def test_list_paging_and_filters(tmp_path: Path) -> None:
    ids = await _insert(tmp_path, 5)
    old = await _insert(tmp_path, 1, age_days=8)  # outside the default 7-day window
    failed = await _insert(tmp_path, 1, status="failed", age_days=0.001)
    async with (
        LocalEngine(data_dir=tmp_path, workers=1, retention_days=30) as eng,
        aiohttp.ClientSession(base_url=eng.base_url + "/") as s,
    ):
        seen = []
        for page in (1, 2, 3, 4):
            async with s.get("embed/tasks", params={"page": page, "page_limit": 2}) as r:
                body = await r.json()
            assert r.status == 200
            assert body["page_info"] == {
                "limit_per_page": 2, "page": page, "total_page": 3, "total_results": 6,
            }  # fmt: skip
            seen += [t["_id"] for t in body["data"]]
        # newest first (the failed one is 90 s old); page 4 is past the end: data []
        assert seen == [*reversed(ids), *failed] and old[0] not in seen
        assert body["data"] == []
        async with s.get("embed/tasks", params={"status": "failed"}) as r:
            assert [t["_id"] for t in (await r.json())["data"]] == failed
        async with s.get("embed/tasks", params={"started_at": "2000-01-01T00:00:00Z"}) as r:
            assert (await r.json())["page_info"]["total_results"] == 7
        async with s.get("embed/tasks", params={"ended_at": "2000-01-01T00:00:00Z"}) as r:
            assert (await r.json())["data"] == []
        async with s.get("embed/tasks", params={"page_limit": 1}) as r:
            task = (await r.json())["data"][0]
        assert set(task) == {
            "_id",
            "model_name",
            "status",
            "created_at",
            "updated_at",
            "video_embedding",
        }
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", task["created_at"])
        for params in (
            {"page_limit": 51}, {"page_limit": 0}, {"page": 0}, {"page": "x"},
            {"status": "done"}, {"started_at": "yesterday"},
        ):  # fmt: skip
            async with s.get("embed/tasks", params=params) as r:
                assert r.status == 400 and (await r.json())["code"] == "parameter_invalid", params


async def test_retention_purges_and_hides(tmp_path: Path) -> None:
    old = await _insert(tmp_path, 2, age_days=8)
    async with (
        LocalEngine(data_dir=tmp_path, workers=1) as eng,
        aiohttp.ClientSession(base_url=eng.base_url + "/") as s,
    ):
        async with s.get(f"embed/tasks/{old[0]}/status") as r:
            assert r.status == 404
        async with s.get("embed/tasks", params={"started_at": "2000-01-01T00:00:00Z"}) as r:
            assert (await r.json())["data"] == []


# --- processing, retrieve, persistence ------------------------------------------------


async def test_retrieve_and_filter(
    http: aiohttp.ClientSession, media: dict[str, Path], pipeline: None
) -> None:
    status, body = await create(
        http, model_name="marengo3.0", video_file=media["good"], video_embedding_scope=["clip", "video"],
        video_clip_length="2",
    )  # fmt: skip
    assert status == 200
    done = await wait_done(http, body["_id"])
    assert done["status"] == "ready", done
    async with http.get(f"embed/tasks/{body['_id']}") as r:
        task = await r.json()
    segs = task["video_embedding"]["segments"]
    assert [(s["embedding_option"], s["embedding_scope"]) for s in segs][:3] == [
        ("visual", "clip"), ("visual", "clip"), ("visual", "video"),
    ]  # fmt: skip
    assert [s["start_offset_sec"] for s in segs if s["embedding_option"] == "visual"] == [0, 2, 0]
    assert all(len(s["float"]) == 512 for s in segs)
    async with http.get(f"embed/tasks/{body['_id']}", params=[("embedding_option", "audio")]) as r:
        only = (await r.json())["video_embedding"]["segments"]
    assert only and {s["embedding_option"] for s in only} == {"audio"}
    for bad in ("transcription", "visual-text", "bogus"):
        async with http.get(f"embed/tasks/{body['_id']}", params={"embedding_option": bad}) as r:
            assert r.status == 400 and (await r.json())["code"] == "parameter_invalid"


async def test_restart_keeps_tasks_and_finishes_processing(
    tmp_path: Path, media: dict[str, Path], pipeline: None
) -> None:
    async with LocalEngine(data_dir=tmp_path, workers=1) as eng, aiohttp.ClientSession() as s:
        async with s.post(
            eng.base_url + "/embed/tasks",
            data=form(model_name="marengo3.0", video_file=media["good"]),
        ) as r:
            first = (await r.json())["_id"]
        await eng.wait_idle()
    # A task left `processing` by a crash: row in the store, upload still on disk.
    media_dir = tmp_path / "media"
    stranded = "0" * 8 + "f" * 16
    shutil.copy(media["good2"], media_dir / f"{stranded}.upload")
    store = TaskStore(tmp_path / "tasks.sqlite3")
    await store.open()
    await store.insert(
        TaskRecord(stranded, "marengo3.0", "processing", now_ms(), now_ms(), input_filename="g.mp4",
                   media_path=str(media_dir / f"{stranded}.upload"))
    )  # fmt: skip
    await store.close()
    async with (
        LocalEngine(data_dir=tmp_path, workers=1) as eng,
        aiohttp.ClientSession(base_url=eng.base_url + "/") as s,
    ):
        assert (await wait_done(s, first))["status"] == "ready"
        assert (await wait_done(s, stranded))["status"] == "ready"
        async with s.get(f"embed/tasks/{stranded}") as r:
            assert len((await r.json())["video_embedding"]["segments"]) >= 1
    assert not (media_dir / f"{stranded}.upload").exists()


async def test_an_upload_is_removed_when_the_engine_stops_as_its_task_turns_ready(
    tmp_path: Path, media: dict[str, Path], pipeline: None
) -> None:
    """The runner's clean-up after a job reads the store, then removes the upload; a stop
    that lands between the two (the test's engine exiting right after it saw `ready`)
    must not leave the upload on disk for good."""
    async with LocalEngine(data_dir=tmp_path, workers=1) as eng, aiohttp.ClientSession() as s:
        runner = eng.app[TASK_RUNNER]
        heard, stops = runner.on_ready, []

        def stop_at_ready(task: TaskRecord, duration: float) -> None:
            if heard is not None:
                heard(task, duration)
            stops.append(asyncio.ensure_future(runner.stop()))  # before the clean-up ends

        runner.on_ready = stop_at_ready
        async with s.post(
            eng.base_url + "/embed/tasks",
            data=form(model_name="marengo3.0", video_file=media["good"]),
        ) as r:
            task_id = (await r.json())["_id"]
        await eng.wait_idle()
        assert len(stops) == 1
        await stops[0]
        async with s.get(f"{eng.base_url}/embed/tasks/{task_id}/status") as r:
            assert (await r.json())["status"] == "ready"
        assert not list((tmp_path / "media").glob("*.upload"))


# --- the OpenAPI document tells the truth -------------------------------------------------


async def test_openapi_valid_and_matches_responses(
    http: aiohttp.ClientSession, media: dict[str, Path], pipeline: None
) -> None:
    validator_mod = pytest.importorskip("openapi_spec_validator")
    from openapi_schema_validator import OAS30Validator

    async with http.get("openapi.json") as r:
        spec = await r.json()
    validator_mod.validate(spec)

    def check(schema: str, body: object) -> None:
        root = {"$ref": f"#/components/schemas/{schema}", "components": spec["components"]}
        OAS30Validator(root).validate(body)

    _, created = await create(
        http,
        model_name="marengo3.0",
        video_file=media["good"],
        video_embedding_scope=["clip", "video"],
    )
    check("CreateResponse", created)
    await wait_done(http, created["_id"])
    async with http.get(f"embed/tasks/{created['_id']}/status") as r:
        check("StatusResponse", await r.json())
    async with http.get(f"embed/tasks/{created['_id']}") as r:
        check("RetrieveResponse", await r.json())
    async with http.get("embed/tasks") as r:
        check("ListResponse", await r.json())
    _, err = await create(http, model_name="nope")
    check("Error", err)


async def test_too_many_parts_refused(http: aiohttp.ClientSession) -> None:
    status, body = await create(http, model_name="marengo3.0", video_embedding_scope=["clip"] * 300)
    assert status == 400 and "more than 256 parts" in body["message"]


@pytest.mark.parametrize(
    "query",
    [
        "started_at=%C2%A0",  # a non-breaking space is not "empty" (found by schemathesis)
        "ended_at=2024-01-01",  # a date is not a date-time
        "started_at=2024-01-01 00:00:00Z",
        "page=%205",
        "page=1_0",
        "page_limit=%D9%A3",  # Arabic-Indic digit three
        "status=%20ready",
    ],
)
async def test_list_query_values_must_match_the_description_exactly(
    http: aiohttp.ClientSession, query: str
) -> None:
    async with http.get(f"embed/tasks?{query}") as resp:
        assert resp.status == 400
        assert (await resp.json())["code"] == "parameter_invalid"


async def test_list_accepts_rfc3339_and_empty_filters(http: aiohttp.ClientSession) -> None:
    for query in [
        "started_at=2024-01-01T00:00:00Z",
        "ended_at=2030-01-01T00:00:00.5%2B02:00",
        "started_at=&page=",
    ]:
        async with http.get(f"embed/tasks?{query}") as resp:
            assert resp.status == 200, query
