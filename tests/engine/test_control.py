"""The engine as a test double: every control feature through this SDK (async) and the
official SDK (sync), refused without the key, absent unless enabled."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest
from twelvelabs import TwelveLabs
from twelvelabs.core import ApiError as OfficialApiError

from tests.engine_double import until
from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.errors import (
    ApiConnectionError,
    ApiResponseValidationError,
    BadGatewayError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnprocessableEntityError,
)
from twelvelabs_embed.jobs.gate import RateGate
from twelvelabs_embed.local.control.faults import MAX_BODY_BYTES, FaultSpecError, parse_action
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.testing import AsyncEngineControl, EngineControl

from .conftest import API_KEY

pytestmark = [pytest.mark.timeout(180)]
MODEL = "marengo3.0"


@pytest.fixture
async def ctl_engine(tmp_path: Path) -> AsyncIterator[LocalEngine]:
    async with LocalEngine(data_dir=tmp_path, api_key=API_KEY, workers=1, control=True) as e:
        yield e


@pytest.fixture
async def client(ctl_engine: LocalEngine) -> AsyncIterator[AsyncTwelveLabs]:
    async with AsyncTwelveLabs(api_key=ctl_engine.api_key, base_url=ctl_engine.base_url) as c:
        yield c


@pytest.fixture
def ctl(ctl_engine: LocalEngine) -> AsyncEngineControl:
    return ctl_engine.async_control


@pytest.fixture
def threaded(tmp_path: Path) -> Iterator[LocalEngine]:
    with LocalEngine(data_dir=tmp_path, api_key=API_KEY, workers=1, control=True, seed=3) as e:
        yield e


@pytest.fixture
def official(threaded: LocalEngine) -> Iterator[TwelveLabs]:
    with httpx.Client(timeout=60) as http:
        yield TwelveLabs(api_key=threaded.api_key, base_url=threaded.base_url, httpx_client=http)


# --- switched off, and locked ------------------------------------------------------------


async def test_absent_unless_enabled(tmp_path: Path) -> None:
    async with LocalEngine(data_dir=tmp_path, api_key=API_KEY, workers=1) as eng:
        control = AsyncEngineControl(eng.base_url, API_KEY)
        try:
            with pytest.raises(NotFoundError):
                await control.faults.list()
        finally:
            await control.aclose()
        async with aiohttp.ClientSession() as s, s.get(eng.base_url + "/openapi.json") as r:
            assert not any(p.startswith("/_engine") for p in (await r.json())["paths"])


async def test_refused_without_the_key(ctl_engine: LocalEngine) -> None:
    root = ctl_engine.base_url.rsplit("/", 1)[0]
    async with aiohttp.ClientSession() as s:
        for headers in ({}, {"x-api-key": "wrong"}):
            async with s.post(
                root + "/_engine/faults", json={"action": {"status": 503}}, headers=headers
            ) as r:
                assert r.status == 401 and (await r.json())["code"] == "api_key_invalid"
        async with s.get(ctl_engine.base_url + "/openapi.json") as r:
            paths = (await r.json())["paths"]
            assert "/_engine/faults" in paths and "/_engine/clock" in paths
    assert await ctl_engine.async_control.faults.list() == []  # nothing was added


def test_control_needs_a_key(tmp_path: Path) -> None:
    engine = LocalEngine(data_dir=tmp_path, control=True)
    assert engine.api_key.startswith("tlk_engine_")  # one was made up


# --- faults --------------------------------------------------------------------------------


async def test_fail_the_next_two_then_succeed(
    client: AsyncTwelveLabs, ctl: AsyncEngineControl, media: dict[str, Path]
) -> None:
    fault = await ctl.faults.add("create_task", status=503, count=2, headers={"Retry-After": "0"})
    task = await client.embed.tasks.create(model_name=MODEL, video_file=media["good"])
    assert task.id
    statuses = [e.status for e in await ctl.requests.list(route="create_task")]
    assert statuses == [503, 503, 200]
    (seen,) = await ctl.faults.list()
    assert (seen.id, seen.hits, seen.remaining) == (fault.id, 2, 0)
    with pytest.raises(ServiceUnavailableError):  # no retries: the fault is the answer
        await ctl.faults.add("task_status", status=503, skip=1, count=1)
        await client.embed.tasks.status(task.id)  # skipped
        await client.embed.tasks.status(task.id, request_options={"max_retries": 0})


async def test_phase_after_creates_the_task_and_loses_the_answer(
    client: AsyncTwelveLabs, ctl: AsyncEngineControl, media: dict[str, Path]
) -> None:
    await ctl.faults.add("create_task", status=503, phase="after", count=1)
    with pytest.raises(ServiceUnavailableError):
        await client.embed.tasks.create(
            model_name=MODEL, video_file=media["good"], request_options={"max_retries": 0}
        )
    (entry,) = await ctl.requests.list(route="create_task")
    assert entry.status == 503 and entry.fault and entry.task_id
    assert (await client.embed.tasks.status(entry.task_id)).id == entry.task_id  # it exists


async def test_drop_latency_and_aborted_upload(
    client: AsyncTwelveLabs, ctl: AsyncEngineControl, media: dict[str, Path]
) -> None:
    await ctl.lifecycle.set("manual")
    task = await client.embed.tasks.create(model_name=MODEL, video_file=media["good"])
    await ctl.faults.add("task_status", drop_connection=True, count=1)
    assert (await client.embed.tasks.status(task.id)).status == "processing"  # retried
    dropped, ok = await ctl.requests.list(route="task_status")
    assert (dropped.dropped, dropped.status, ok.status) == (True, 0, 200)
    await ctl.faults.add("task_status", latency_ms=300, count=1)
    await client.embed.tasks.status(task.id)
    assert (await ctl.requests.list(route="task_status", limit=1))[0].duration_ms >= 300
    await ctl.faults.add("create_task", abort_upload_after_bytes=1024, count=1)
    # cut off mid-body, before any answer: the SDK sends the create again
    again = await client.embed.tasks.create(model_name=MODEL, video_file=media["good"])
    cut, whole = (await ctl.requests.list(route="create_task"))[-2:]
    assert (cut.dropped, cut.task_id, whole.status, whole.task_id) == (True, None, 200, again.id)


async def test_a_client_that_leaves_mid_upload_is_no_engine_error(
    ctl_engine: LocalEngine, ctl: AsyncEngineControl, caplog: pytest.LogCaptureFixture
) -> None:
    """Half a multipart body, then the socket closes: logged as 499, no 500, no traceback."""
    boundary = "b0undary"
    head = (
        f"POST /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\nx-api-key: {API_KEY}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        "Content-Length: 1000000\r\n\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="model_name"\r\n\r\nmarengo'
    )
    _, writer = await asyncio.open_connection("127.0.0.1", ctl_engine.port)
    writer.write(head.encode())
    await writer.drain()

    async def logged() -> bool:
        return bool(await ctl.requests.list(route="create_task"))

    async def answered() -> bool:
        return (await ctl.requests.list(route="create_task"))[0].status != 0

    await until(logged)  # the engine is reading it
    writer.close()
    await writer.wait_closed()
    await until(answered)
    (entry,) = await ctl.requests.list(route="create_task")
    assert (entry.status, entry.task_id) == (499, None)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_header_strikes_one_request(ctl_engine: LocalEngine) -> None:
    async with aiohttp.ClientSession(
        base_url=ctl_engine.base_url + "/", headers={"x-api-key": API_KEY}
    ) as s:
        async with s.get(
            "embed/tasks", headers={"X-Engine-Fault": "status=502;code=upstream"}
        ) as r:
            assert r.status == 502 and (await r.json())["code"] == "upstream"
            assert r.headers["X-Engine-Injected"] == "header"
        async with s.get("embed/tasks") as r:
            assert r.status == 200
        async with s.get("embed/tasks", headers={"X-Engine-Fault": "status=abc"}) as r:
            assert r.status == 400 and (await r.json())["code"] == "parameter_invalid"


def test_faults_through_the_official_sdk(threaded: LocalEngine, official: TwelveLabs) -> None:
    control = threaded.control
    fault = control.faults.add("list_tasks", status=500, count=1, message="boom")
    with pytest.raises(OfficialApiError) as caught:
        official.embed.tasks.list(request_options={"max_retries": 0})
    assert caught.value.status_code == 500
    assert caught.value.body == {"code": "internal_error", "message": "boom"}
    assert list(official.embed.tasks.list()) == []  # retired after one strike
    assert control.faults.list()[0].hits == 1
    control.faults.delete(fault.id)
    assert control.faults.list() == []
    with pytest.raises(OfficialApiError) as caught:
        official.embed.tasks.list(
            request_options={"max_retries": 0, "additional_headers": {"X-Engine-Fault": "503"}}
        )
    assert caught.value.status_code == 503


async def test_an_answer_of_any_body_and_content_type(
    client: AsyncTwelveLabs, ctl: AsyncEngineControl
) -> None:
    """What a proxy or a broken deployment answers: HTML, a 200 that breaks the schema,
    an error without the platform's shape; the fault's own request id is kept."""
    html = "<html><body>502 Bad Gateway</body></html>"
    await ctl.faults.add(
        "list_tasks", status=502, body=html, content_type="text/html", headers={"x-request-id": "req-9"}, count=1
    )  # fmt: skip
    with pytest.raises(BadGatewayError) as caught:
        await client.embed.tasks.list(request_options={"max_retries": 0})
    assert caught.value.body == html and caught.value.code is None
    assert caught.value.request_id == "req-9"
    await ctl.faults.add("task_status", status=200, body={"_id": {"a": 1}}, count=1)
    with pytest.raises(ApiResponseValidationError):
        await client.embed.tasks.status("0" * 24)
    await ctl.faults.add("task_status", status=422, body={"message": "odd"}, count=1)
    with pytest.raises(UnprocessableEntityError) as caught_422:
        await client.embed.tasks.status("0" * 24)
    assert caught_422.value.body == {"message": "odd"} and caught_422.value.code is None
    listed = (await ctl.faults.list())[-1]
    assert listed.action["body"] == '{"message":"odd"}'
    for bad in (
        {"body": "x"},  # no status
        {"status": 500, "body": "x", "code": "c"},
        {"status": 500, "content_type": "text/html"},
        {"status": 500, "body": "x", "content_type": "bad\ntype"},
    ):
        with pytest.raises(BadRequestError):
            await ctl._http.call("POST", "/faults", {"route": "*", "action": bad})
    with pytest.raises(FaultSpecError, match="at most"):
        parse_action({"status": 500, "body": "x" * (MAX_BODY_BYTES + 1)})


async def test_an_answer_cut_off_mid_body(client: AsyncTwelveLabs, ctl: AsyncEngineControl) -> None:
    await ctl.faults.add("list_tasks", status=200, body={"data": []}, cut_body_after_bytes=4)
    with pytest.raises(ApiConnectionError):
        await client.embed.tasks.list(request_options={"max_retries": 1})
    cut = await ctl.requests.list(route="list_tasks")
    assert [(e.status, e.dropped) for e in cut] == [(200, True)] * 2
    await ctl.faults.clear()
    await ctl.faults.add("task_status", status=503, cut_body_after_bytes=10, count=1)
    with pytest.raises(NotFoundError):  # the cut answer was retried; the engine's 404 is real
        await client.embed.tasks.status("0" * 24)
    with pytest.raises(BadRequestError):
        await ctl._http.call("POST", "/faults", {"action": {"cut_body_after_bytes": 3}})


def test_a_body_through_the_official_sdk(threaded: LocalEngine, official: TwelveLabs) -> None:
    threaded.control.faults.add("list_tasks", status=500, cut_body_after_bytes=3, count=1)
    with pytest.raises(httpx.RemoteProtocolError):  # the official SDK lets httpx's error out
        official.embed.tasks.list()
    threaded.control.faults.add("list_tasks", status=503, body="down for maintenance", count=1)
    with pytest.raises(OfficialApiError) as caught:
        official.embed.tasks.list(request_options={"max_retries": 0})
    assert (caught.value.status_code, caught.value.body) == (503, "down for maintenance")
    assert caught.value.headers is not None
    assert caught.value.headers["content-type"].startswith("text/plain")


# --- forced task states ------------------------------------------------------------------


async def test_manual_lifecycle_fail_complete_hold_release(
    client: AsyncTwelveLabs,
    ctl: AsyncEngineControl,
    ctl_engine: LocalEngine,
    media: dict[str, Path],
) -> None:
    await ctl.lifecycle.set("manual")
    a = await client.embed.tasks.create(model_name=MODEL, video_file=media["good"])
    b = await client.embed.tasks.create(model_name=MODEL, video_file=media["good2"])
    await ctl_engine.wait_idle()
    assert (await client.embed.tasks.status(a.id)).status == "processing"
    await ctl.tasks.fail(a.id, code="video_file_broken", message="decode error")
    failed = await client.embed.tasks.status(a.id)
    assert failed.status == "failed"
    with pytest.raises(ConflictError):  # only a processing task moves
        await ctl.tasks.fail(a.id)
    assert await ctl.tasks.complete(b.id) == "ready"
    assert (await client.embed.tasks.retrieve(b.id)).video_embedding.segments
    with pytest.raises(NotFoundError):
        await ctl.tasks.hold("0" * 24)
    c_id = (await client.embed.tasks.create(model_name=MODEL, video_file=media["good"])).id
    await ctl.tasks.hold(c_id)  # while parked by the manual mode: it never starts
    await ctl.lifecycle.set("auto")
    await ctl_engine.wait_idle()
    assert (await client.embed.tasks.status(c_id)).status == "processing"
    await ctl.tasks.release(c_id)
    done = await client.embed.tasks.wait_for_done(c_id, sleep_interval=0.05)
    assert done.status == "ready"
    stats = await ctl.stats()
    assert stats["families"]["v1"]["tasks"] == {"failed": 1, "ready": 2}
    assert stats["executor"]["jobs"] >= 2 and stats["executor"]["nodes"]


def test_forced_states_through_the_official_sdk(
    threaded: LocalEngine, official: TwelveLabs, media: dict[str, Path]
) -> None:
    threaded.control.lifecycle.set("manual")
    with media["good"].open("rb") as f:
        task = official.embed.tasks.create(model_name=MODEL, video_file=f)
    assert task.id is not None
    threaded.control.tasks.fail(task.id, message="decode error")
    status = official.embed.tasks.status(task.id)
    assert status.status == "failed"


# --- the clock ----------------------------------------------------------------------------


async def test_one_clock_drives_timestamps_lists_and_retention(
    client: AsyncTwelveLabs, ctl: AsyncEngineControl, media: dict[str, Path]
) -> None:
    state = await ctl.clock.freeze("2026-01-01T00:00:00Z")
    assert state.mode == "frozen" and state.now.year == 2026
    await ctl.lifecycle.set("manual")
    task = await client.embed.tasks.create(model_name=MODEL, video_file=media["good"])
    got = await client.embed.tasks.retrieve(task.id)
    assert got.created_at is not None and got.created_at.isoformat().startswith(
        "2026-01-01T00:00:00"
    )
    assert int(task.id[:8], 16) == 1_767_225_600  # the id's time part is engine time
    await ctl.clock.advance(days=6)
    assert [t.id async for t in await client.embed.tasks.list()] == [task.id]
    await ctl.clock.advance(days=1.5)  # past the 7-day retention
    with pytest.raises(NotFoundError):
        await client.embed.tasks.status(task.id)
    assert [t.id async for t in await client.embed.tasks.list()] == []
    assert (await ctl.clock.real()).mode == "real"
    with pytest.raises(BadRequestError):
        await ctl.clock.freeze("not a date")
    with pytest.raises(BadRequestError, match="1970"):  # ids and time buckets start there
        await ctl.clock.freeze("1969-12-31T23:59:59Z")


def test_the_clock_through_the_official_sdk(
    threaded: LocalEngine, official: TwelveLabs, media: dict[str, Path]
) -> None:
    threaded.control.lifecycle.set("manual")
    with media["good"].open("rb") as f:
        task = official.embed.tasks.create(model_name=MODEL, video_file=f)
    assert task.id is not None
    threaded.control.clock.advance(days=8)
    with pytest.raises(OfficialApiError) as caught:
        official.embed.tasks.status(task.id)
    assert caught.value.status_code == 404


# --- rate limits ----------------------------------------------------------------------------


async def test_request_and_duration_limits(
    client: AsyncTwelveLabs,
    ctl: AsyncEngineControl,
    ctl_engine: LocalEngine,
    media: dict[str, Path],
) -> None:
    await ctl.lifecycle.set("manual")
    await ctl.rate_limits.set(
        [{"route": "create_task", "dimension": "requests", "limit": 2, "window_sec": 60}]
    )
    no_retry = {"max_retries": 0}
    await client.embed.tasks.create(model_name=MODEL, video_file=media["good"])
    gate = RateGate()
    async with (
        aiohttp.ClientSession(
            base_url=ctl_engine.base_url + "/", headers={"x-api-key": API_KEY}
        ) as s,
        s.get("embed/tasks") as r,
    ):
        assert "x-ratelimit-remaining" not in r.headers  # only the limited route
    await client.embed.tasks.create(model_name=MODEL, video_file=media["good"])
    with pytest.raises(TooManyRequestsError) as caught:
        await client.embed.tasks.create(
            model_name=MODEL, video_file=media["good"], request_options=no_retry
        )
    h = caught.value.headers
    assert caught.value.code == "too_many_requests"
    assert 0 < caught.value.retry_after <= 60  # type: ignore[operator]
    assert int(h["retry-after"]) >= 1 and int(h["retry-after-ms"]) > 0
    assert (h["x-ratelimit-request-remaining"], h["x-ratelimit-remaining"]) == ("0", "0")
    assert h["x-ratelimit-limit"] == "2" and h["x-ratelimit-dimensions"] == "Request"
    gate.succeeded(h)  # the SDK's rate gate reads the engine's headers: no budget left
    assert gate.delay() > 0
    assert (await ctl.requests.list(route="create_task", limit=1))[0].rate_limited
    await ctl.clock.advance(61)  # a new window
    await client.embed.tasks.create(model_name=MODEL, video_file=media["good"])
    # duration: 0.1 minute = 6 s of video per hour; the 4.5 s clip fits once
    await ctl.rate_limits.set(
        [
            {
                "route": "create_task",
                "dimension": "duration",
                "limit_minutes": 0.1,
                "window_sec": 3600,
            }
        ]
    )
    await client.embed.tasks.create(model_name=MODEL, video_file=media["good"])
    await client.embed.tasks.create(model_name=MODEL, video_file=media["good"])  # 4.5 < 6: in
    with pytest.raises(TooManyRequestsError) as caught:
        await client.embed.tasks.create(
            model_name=MODEL, video_file=media["good"], request_options=no_retry
        )
    assert caught.value.headers["x-ratelimit-duration-remaining"] == "0"
    (limit,) = await ctl.rate_limits.get()
    assert limit["used"] == pytest.approx(9.0, abs=0.2)


def test_rate_limits_through_the_official_sdk(
    threaded: LocalEngine, official: TwelveLabs, media: dict[str, Path]
) -> None:
    threaded.control.lifecycle.set("manual")
    threaded.control.rate_limits.set(
        [{"route": "create_task", "dimension": "requests", "limit": 1, "window_sec": 600}]
    )
    with media["good"].open("rb") as f:
        official.embed.tasks.create(model_name=MODEL, video_file=f)
    with media["good"].open("rb") as f, pytest.raises(OfficialApiError) as caught:
        official.embed.tasks.create(
            model_name=MODEL, video_file=f, request_options={"max_retries": 0}
        )
    assert caught.value.status_code == 429
    assert caught.value.headers is not None and int(caught.value.headers["retry-after"]) > 0


# --- the request log, reset, scenarios ----------------------------------------------------


async def test_the_log_holds_forms_and_digests_never_bytes_or_keys(
    client: AsyncTwelveLabs,
    ctl: AsyncEngineControl,
    ctl_engine: LocalEngine,
    media: dict[str, Path],
) -> None:
    await ctl.lifecycle.set("manual")
    task = await client.embed.tasks.create(
        model_name=MODEL, video_file=media["good"], video_clip_length=4
    )
    await client.embed.tasks.status(task.id)
    create, status = await ctl.requests.list()
    assert (create.method, create.route, create.status, create.task_id) == (
        "POST", "create_task", 200, task.id,
    )  # fmt: skip
    assert create.form is not None and create.form["model_name"] == MODEL
    assert create.form["video_clip_length"] == "4"
    digest = hashlib.sha256(media["good"].read_bytes()).hexdigest()
    assert create.upload is not None and create.upload.sha256 == digest
    assert create.upload.size == media["good"].stat().st_size
    assert (status.route, status.task_id, status.query) == ("task_status", task.id, [])
    await client.embed.tasks.retrieve(task.id, embedding_option=["visual", "audio"])
    await client.embed.tasks.list(page_limit=3, status="processing")
    retrieve, listed = await ctl.requests.list(limit=2)
    assert retrieve.query == [("embedding_option", "visual"), ("embedding_option", "audio")]
    assert listed.query == [("status", "processing"), ("page", "1"), ("page_limit", "3")]
    async with aiohttp.ClientSession(headers={"x-api-key": API_KEY}) as s:
        root = ctl_engine.base_url.rsplit("/", 1)[0]
        async with s.get(root + "/_engine/requests") as r:
            raw = await r.read()
    assert API_KEY.encode() not in raw and media["good"].read_bytes()[:64] not in raw
    assert len(await ctl.requests.list(route="task_status", status=200)) == 1
    assert len(await ctl.requests.list(route="retrieve_task")) == 1
    await ctl.faults.add("*", status=500)
    await ctl.reset()
    assert await ctl.requests.list() == [] and await ctl.faults.list() == []
    assert (await ctl.lifecycle.get())["mode"] == "auto"
    await ctl.reset(tasks=True)
    with pytest.raises(NotFoundError):
        await client.embed.tasks.status(task.id, request_options={"max_retries": 0})


def test_the_log_through_the_official_sdk(
    threaded: LocalEngine, official: TwelveLabs, media: dict[str, Path]
) -> None:
    with EngineControl(threaded.base_url, threaded.api_key) as control:
        control.lifecycle.set("manual")
        with media["good"].open("rb") as f:
            task = official.embed.tasks.create(model_name=MODEL, video_file=f)
        (entry,) = control.requests.list(route="create_task")
        assert entry.task_id == task.id and entry.upload is not None
        control.reset()
        assert control.requests.list() == []


async def test_scenario_seed_and_bad_bodies(tmp_path: Path) -> None:
    scenario = {
        "seed": 7,
        "faults": [{"route": "list_tasks", "action": {"status": 503}, "probability": 0.5}],
        "rate_limits": {"limits": [{"route": "create_task", "limit": 5, "window_sec": 60}]},
        "lifecycle": {"mode": "manual"},
        "clock": {"action": "freeze", "at": "2026-03-01T00:00:00Z"},
    }

    async def draws() -> list[int]:
        async with LocalEngine(
            data_dir=tmp_path / "d", workers=1, control=True, scenario=scenario
        ) as e:
            ctl = e.async_control
            assert (await ctl.lifecycle.get())["mode"] == "manual"
            assert (await ctl.clock.get()).now.month == 3
            assert (await ctl.rate_limits.get())[0]["limit"] == 5
            async with aiohttp.ClientSession(headers={"x-api-key": e.api_key}) as s:
                out = []
                for _ in range(12):
                    async with s.get(e.base_url + "/embed/tasks") as r:
                        out.append(r.status)
                root = e.base_url.rsplit("/", 1)[0]
                async with s.post(root + "/_engine/faults", data=b"{") as r:
                    assert r.status == 400
                async with s.post(root + "/_engine/faults", json={"action": {"status": 99}}) as r:
                    assert r.status == 400 and "status" in (await r.json())["message"]
                async with s.put(root + "/_engine/lifecycle", json={"mode": "sometimes"}) as r:
                    assert r.status == 400
            return out

    first = await draws()
    assert {503, 200} <= set(first)  # probability 0.5 over 12 draws, seeded
    assert await draws() == first  # the same seed breaks the same requests
    with pytest.raises(ValueError):
        async with LocalEngine(
            data_dir=tmp_path / "e", workers=1, control=True, scenario={"nope": 1}
        ):
            pass


def test_serve_flags() -> None:
    from twelvelabs_embed.local.serve import main

    for argv in (
        ["--control"],
        ["--seed", "3"],
        ["--control", "--api-key", "k", "--scenario", "/nonexistent.json"],
    ):
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2
