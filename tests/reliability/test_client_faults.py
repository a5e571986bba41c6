"""The client against a fault-injecting loopback platform: every fault ends in a successful
retry that resends the identical request, or in a typed error within the configured
timeout. No hang, no leaked session, socket or file handle (warnings are errors here).

``tests/client/test_errors_and_retries.py`` already covers the basic status-to-class
mapping and one retry per fault on one route; this module crosses every fault with every
route (create with a file upload, status, retrieve, list), the async and the sync client,
and adds mid-upload drops, slow bodies, early answers to an upload, broken encodings,
wrong content types and give-up timing.

Faults the engine can answer come from its fault rules (``double``, counted in its request
log); the fake platform stays for what only it can do: a retry's raw bytes compared with
the first attempt's, bodies cut off or trickled, answers before the upload was read, and
16 MiB uploads of zeros taken as a video.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

import twelvelabs_embed as tl
from tests.client.conftest import make_client
from tests.engine_double import EngineDouble
from tests.fakeplatform import FakePlatform, FakeTask, Fault, Recorded
from tests.observe import retry_delays
from tests.sync_adapter import make_sync_client

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("no_leaks")]

TASK_ID = "66419a20c70bb578439bd8f4"
TIMEOUT = 0.25
"""The client's per-read timeout in these tests; slow faults exceed it."""

Call = Callable[[Any], Awaitable[Any]]


@pytest.fixture
async def fake() -> Any:
    async with FakePlatform() as platform:
        platform.tasks[TASK_ID] = FakeTask(TASK_ID, "marengo3.0", {}, 0, "2026-11-01T00:00:00Z")
        yield platform


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(os.urandom(300_000))
    return path


def calls(video: Path) -> dict[str, Call]:
    """One API call per route, as a caller would make it."""
    return {
        "create": lambda c: c.embed.tasks.create(
            "marengo3.0",
            video_file=video,
            video_clip_length=4,
            video_embedding_scope=["clip", "video"],
        ),
        "status": lambda c: c.embed.tasks.status(TASK_ID),
        "retrieve": lambda c: c.embed.tasks.retrieve(TASK_ID, embedding_option=["visual"]),
        "list": lambda c: c.embed.tasks.list(status="ready", page_limit=5),
    }


METHOD = {"create": "POST", "status": "GET", "retrieve": "GET", "list": "GET"}
ROUTE = {"create": "create_task", "status": "task_status", "retrieve": "retrieve_task", "list": "list_tasks"}  # fmt: skip


async def add_fault(double: EngineDouble, route: str, fault: Fault, count: int | None) -> None:
    """The fake's scripted answer as an engine fault rule on ``route``."""
    if fault.drop:
        await double.control.faults.add(ROUTE[route], drop_connection=True, count=count)
        return
    if fault.truncate:  # the answer's status and headers, then part of its body
        await double.control.faults.add(
            ROUTE[route], status=fault.status, body={"_id": TASK_ID}, cut_body_after_bytes=12, count=count
        )  # fmt: skip
        return
    if fault.delay:
        await double.control.faults.add(ROUTE[route], latency_ms=int(fault.delay * 1000), count=count)  # fmt: skip
        return
    body: Any = fault.json if fault.json is not None else (fault.text or "")
    await double.control.faults.add(
        ROUTE[route],
        status=fault.status,
        body=body,
        content_type=fault.content_type,
        headers=dict(fault.headers),
        count=count,
    )


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff at 1/20 of its real length, where the test is about what is resent and
    not about how long the client waits (the give-up tests keep the real delays)."""
    import twelvelabs_embed._retry as retry
    import twelvelabs_embed._transport as transport

    real = retry.backoff_delay

    def scaled(attempt: int, **kw: Any) -> float:
        return real(attempt, **kw) / 20

    monkeypatch.setattr(retry, "backoff_delay", scaled)
    monkeypatch.setattr(transport, "backoff_delay", scaled)


def client_for(server: FakePlatform | EngineDouble, flavour: str, **kwargs: Any) -> Any:
    kwargs.setdefault("timeout", TIMEOUT)
    kwargs.setdefault("preflight", False)
    if flavour == "sync":
        return make_sync_client(server, **kwargs)
    return make_client(server, **kwargs)


def received_whole_upload(fake: FakePlatform, size: int) -> None:
    """The last create carried every byte (the fake keeps 4 KiB and counts the rest)."""
    last = [r for r in fake.requests if r.method == "POST"][-1]
    length = int(last.headers["Content-Length"])
    assert length > size and last.body.endswith(f"...<{length} bytes>".encode())


def same_request(a: Recorded, b: Recorded) -> None:
    assert (a.method, a.path, a.query, a.body) == (b.method, b.path, b.query, b.body)
    assert a.headers == {**b.headers, "Host": a.headers["Host"]}


# --- retryable faults: one fault, then success with the identical request -----------------

RETRYABLE: dict[str, Fault] = {
    "500-json": Fault(500, json={"code": "internal", "message": "x"}, headers={"retry-after": "0"}),
    "502-html": Fault(
        502, text="<html>bad gateway</html>", content_type="text/html", headers={"retry-after": "0"}
    ),
    "503-text": Fault(503, text="busy", headers={"retry-after-ms": "10"}),
    "504-empty": Fault(504, headers={"retry-after": "0"}),
    "429-retry-after": Fault(429, json={"code": "too_many_requests"}, headers={"retry-after": "0"}),
    "429-retry-after-ms": Fault(429, json={"message": "slow"}, headers={"retry-after-ms": "20"}),
    "429-http-date": Fault(
        429, json={"message": "slow"}, headers={"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}
    ),
    "429-no-hint": Fault(429, json={"code": "too_many_requests", "message": "slow"}),
    "408": Fault(408, text="", headers={"retry-after": "0"}),
    "drop-before-response": Fault(drop=True),
    "drop-mid-body": Fault(truncate=True),
    "slow-headers": Fault(delay=3 * TIMEOUT, json={}),
    "slow-body-stalls": Fault(json={"_id": "x" * 4}, trickle=3 * TIMEOUT),
    "bad-gzip": Fault(json={"_id": TASK_ID}, headers={"Content-Encoding": "gzip"}),
}


# The sync client shares the async transport; three faults per route prove the wiring.
SYNC_FAULTS = ("503-text", "drop-before-response", "slow-headers")
# A create that times out after its whole body went out is not resent: the server may
# still be creating that task (see test_timed_out_create_is_not_resent).
AMBIGUOUS = {("slow-headers", "create"), ("slow-body-stalls", "create")}
MATRIX = [
    (f, r, k)
    for k, faults in (("async", RETRYABLE), ("sync", SYNC_FAULTS))
    for f in faults
    for r in METHOD
    if (f, r) not in AMBIGUOUS
]


@pytest.mark.usefixtures("fast_backoff")
@pytest.mark.parametrize(("fault", "route", "flavour"), MATRIX)
async def test_fault_then_identical_retry_succeeds(
    fake: FakePlatform, video: Path, flavour: str, route: str, fault: str
) -> None:
    fake.script(METHOD[route], route, RETRYABLE[fault])
    async with asyncio.timeout(20), client_for(fake, flavour) as client:
        result = await calls(video)[route](client)
    assert result is not None
    sent = [r for r in fake.requests if r.method == METHOD[route]]
    assert len(sent) == 2, [r.path for r in sent]
    if RETRYABLE[fault].consume_body:
        same_request(sent[0], sent[1])
    if route == "create":
        (task,) = [t for t in fake.tasks.values() if t.id != TASK_ID]
        assert task.file_size == video.stat().st_size
        assert task.fields["video_embedding_scope"] == ["clip", "video"]


@pytest.mark.parametrize(
    "headers", [{}, {"retry-after": "3600"}, {"retry-after": "soon"}, {"retry-after-ms": "-5"}]
)
async def test_429_without_a_usable_hint_waits_the_real_backoff(
    double: EngineDouble, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """No hint, an absurd one (an hour) or garbage: the first backoff, 0.375-0.5 s."""
    task_id = await double.processing_task()
    await double.control.faults.add(
        "task_status", status=429, body={"code": "too_many_requests"}, headers=headers, count=1
    )
    with caplog.at_level(logging.INFO, logger="twelvelabs_embed"):
        async with client_for(double, "async") as client:
            await client.embed.tasks.status(task_id)
    (delay,) = retry_delays(caplog.records)
    assert 0.37 <= delay <= 0.5, "the first backoff, not the server's hint"
    first, second = [r.at_ms for r in await double.requests("task_status")]
    assert second - first >= 370


# --- give up: the fault on every attempt ends in a typed error, in bounded time ----------

GIVE_UP: list[tuple[str, Fault, type[Exception]]] = [  # the fake: slow-body
    ("500", Fault(500, json={"message": "x"}, headers={"retry-after": "0"}), tl.InternalServerError),
    ("502", Fault(502, text="<html/>", headers={"retry-after": "0"}), tl.errors.BadGatewayError),
    ("503", Fault(503, json={"message": "x"}, headers={"retry-after": "0"}), tl.ServiceUnavailableError),
    ("504", Fault(504, headers={"retry-after": "0"}), tl.errors.GatewayTimeoutError),
    ("429", Fault(429, json={"code": "too_many_requests", "message": "m"}, headers={"retry-after": "0"}), tl.RateLimitError),
    ("drop", Fault(drop=True), tl.ApiConnectionError),
    ("truncate", Fault(truncate=True), tl.ApiConnectionError),
    ("slow-headers", Fault(delay=3 * TIMEOUT, json={}), tl.ApiTimeoutError),
    ("slow-body", Fault(json={"_id": "abc"}, trickle=3 * TIMEOUT), tl.ApiTimeoutError),
]  # fmt: skip


ON_ENGINE = ("500", "502", "503", "504", "429", "drop", "truncate", "slow-headers")


@pytest.mark.parametrize("route", ["create", "status"])
@pytest.mark.parametrize(("name", "fault", "cls"), GIVE_UP, ids=[g[0] for g in GIVE_UP])
async def test_persistent_fault_gives_up_with_typed_error(
    fake: FakePlatform,
    double: EngineDouble,
    video: Path,
    route: str,
    name: str,
    fault: Fault,
    cls: type[Exception],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """On the engine's fault rules, except a trickled body (the fake)."""
    retries = 1
    server: FakePlatform | EngineDouble = double if name in ON_ENGINE else fake
    if server is double:
        await add_fault(double, route, fault, count=None)
    else:
        fake.script(METHOD[route], route, *[fault] * 2 * (retries + 1))
    with caplog.at_level(logging.INFO, logger="twelvelabs_embed"):
        async with client_for(server, "async", max_retries=retries) as client:
            with pytest.raises(cls) as info:
                await calls(video)[route](client)
    # Bounded: a slow fault ends in a timeout error (a client that waited it out would
    # get the answer instead), and the wait between attempts is one backoff (<= 0.5 s).
    assert all(delay <= 0.5 for delay in retry_delays(caplog.records))
    # aiohttp itself resends an idempotent request once when the server disconnects
    # before answering (RFC 9112 9.3.1), so a GET meets a drop twice per attempt.
    per_attempt = 2 if name == "drop" and METHOD[route] == "GET" else 1
    attempts = (
        1 if (name, route) in {("slow-headers", "create"), ("slow-body", "create")} else retries + 1
    )
    sent = (
        await double.count(ROUTE[route]) if server is double else fake.count(METHOD[route], route)
    )
    assert sent == per_attempt * attempts
    if isinstance(info.value, tl.ApiError):
        assert info.value.status_code == fault.status


@pytest.mark.parametrize("flavour", ["async", "sync"])
@pytest.mark.parametrize("fault", ["slow-headers", "slow-body-stalls"])
async def test_timed_out_create_is_not_resent(
    fake: FakePlatform, video: Path, flavour: str, fault: str
) -> None:
    """The body arrived whole and the answer is late: resending could make a second task."""
    fake.script("POST", "create", RETRYABLE[fault], RETRYABLE[fault])
    async with asyncio.timeout(20), client_for(fake, flavour, max_retries=3) as client:
        with pytest.raises(tl.ApiTimeoutError):
            await calls(video)["create"](client)
    assert fake.count("POST", "create") == 1


# --- not retried: typed errors after exactly one request ---------------------------------

NOT_RETRIED: list[tuple[str, Fault, type[Exception]]] = [
    ("200-html", Fault(text="<html>ok</html>", content_type="text/html"), tl.ApiResponseValidationError),
    ("200-empty", Fault(), tl.ApiResponseValidationError),
    ("200-cut-json", Fault(text='{"_id": "66419a', content_type="application/json"), tl.ApiResponseValidationError),
    ("200-json-array", Fault(json=[1, 2, 3]), tl.ApiResponseValidationError),
    ("200-json-wrong-types", Fault(json={"_id": {"a": 1}, "status": [1], "data": {"a": 1}}), tl.ApiResponseValidationError),
    ("400-html", Fault(400, text="<html>bad</html>", content_type="text/html"), tl.BadRequestError),
    ("400-json-as-text", Fault(400, text='{"code":"parameter_invalid","message":"m"}'), tl.ParameterInvalidError),
    ("401", Fault(401, json={"code": "api_key_invalid", "message": "no"}), tl.ApiKeyInvalidError),
    ("404", Fault(404, json={"code": "resource_not_exist", "message": "gone"}), tl.ResourceNotExistError),
    ("413-html", Fault(413, text="<h1>too large</h1>", content_type="text/html"), tl.ApiError),
    ("x-should-retry-false", Fault(503, json={"message": "no"}, headers={"x-should-retry": "false"}), tl.ServiceUnavailableError),
]  # fmt: skip


@pytest.mark.parametrize("route", list(METHOD))
@pytest.mark.parametrize(("name", "fault", "cls"), NOT_RETRIED, ids=[n[0] for n in NOT_RETRIED])
async def test_non_retryable_answers_raise_once(
    double: EngineDouble, video: Path, route: str, name: str, fault: Fault, cls: type[Exception]
) -> None:
    await add_fault(double, route, fault, count=1)
    async with client_for(double, "async") as client:
        with pytest.raises(cls) as info:
            await calls(video)[route](client)
    assert await double.count(ROUTE[route]) == 1
    err = info.value
    assert getattr(err, "status_code", None) == fault.status
    assert str(err)


@pytest.mark.parametrize("route", list(METHOD))
async def test_json_under_a_wrong_content_type_is_read(
    double: EngineDouble, video: Path, route: str
) -> None:
    """A correct JSON body labelled ``text/html`` (a proxy rewriting headers) still works."""
    body: dict[str, Any] = {
        "create": {"_id": TASK_ID},
        "status": {"_id": TASK_ID, "status": "ready", "model_name": "marengo3.0"},
        "retrieve": {"_id": TASK_ID, "status": "ready", "model_name": "marengo3.0"},
        "list": {"data": [], "page_info": {"page": 1, "total_page": 1}},
    }[route]
    await double.control.faults.add(
        ROUTE[route],
        status=200,
        body=orjson.dumps(body).decode(),
        content_type="text/html; charset=latin-1",
        count=1,
    )
    async with client_for(double, "async") as client:
        result = await calls(video)[route](client)
    assert result is not None and await double.count(ROUTE[route]) == 1


async def test_slow_body_within_the_read_timeout_succeeds(fake: FakePlatform) -> None:
    """The timeout bounds each read, not the whole body: a steady trickle is not cut."""
    body = {"_id": TASK_ID, "status": "ready", "model_name": "marengo3.0"}
    fake.script("GET", "status", Fault(json=body, trickle=TIMEOUT / 20))
    async with client_for(fake, "async") as client:
        status = await client.embed.tasks.status(TASK_ID)
    assert status.status == "ready" and fake.count("GET", "status") == 1


# --- uploads: drops mid-upload, early answers, streams that cannot be rewound ------------


@pytest.mark.parametrize("flavour", ["async", "sync"])
@pytest.mark.usefixtures("fast_backoff")
async def test_drop_mid_upload_resends_the_whole_file(
    fake: FakePlatform, sparse_file: Path, flavour: str
) -> None:
    """The server reads nothing and closes while 16 MiB are going out; the retry resends
    every byte from the start, progress restarts at 0, and the file is closed after."""
    fake.script("POST", "create", Fault(drop=True, consume_body=False, delay=0.05))
    progress: list[int] = []
    async with asyncio.timeout(30), client_for(fake, flavour, timeout=10) as client:
        task = await client.embed.tasks.create(
            "marengo3.0",
            video_file=sparse_file,
            on_upload_progress=lambda sent, total: progress.append(sent),
        )
    assert task.id in fake.tasks
    received_whole_upload(fake, sparse_file.stat().st_size)
    assert fake.count("POST", "create") == 2
    assert progress.count(0) == 2 and progress[-1] == sparse_file.stat().st_size


@pytest.mark.usefixtures("fast_backoff")
async def test_drop_mid_upload_from_file_object_rewinds(
    fake: FakePlatform, sparse_file: Path
) -> None:
    fake.script(
        "POST",
        "create",
        Fault(drop=True, consume_body=False, delay=0.05),
        Fault(drop=True, consume_body=False),
    )
    async with client_for(fake, "async", timeout=10) as client:
        with open(sparse_file, "rb") as f:
            task = await client.embed.tasks.create("marengo3.0", video_file=f)
    assert task.id in fake.tasks
    received_whole_upload(fake, sparse_file.stat().st_size)
    assert fake.count("POST", "create") == 3


async def test_early_refusal_of_an_upload_is_a_typed_error(
    double: EngineDouble, sparse_file: Path
) -> None:
    """The server answers 400 without reading the 16 MiB body (a fault rule answers
    before the handler reads anything) : the caller gets the refusal or a connection
    error, both typed, promptly, and it is not resent (400 is final)."""
    await double.control.faults.add(
        "create_task", status=400, code="video_filesize_too_large", message="too large", count=1
    )
    async with client_for(double, "async", timeout=10, max_retries=0) as client:
        with pytest.raises((tl.VideoFilesizeTooLargeError, tl.ApiConnectionError)):
            await client.embed.tasks.create("marengo3.0", video_file=sparse_file)
    assert await double.count("create_task") == 1


@pytest.mark.parametrize("fault", [Fault(503, json={"message": "x"}), Fault(drop=True)])
async def test_unseekable_stream_is_not_resent(double: EngineDouble, fault: Fault) -> None:
    """A pipe cannot be rewound: the first failure is final, never a partial resend."""
    await add_fault(double, "create", fault, count=1)
    r, w = os.pipe()
    os.write(w, b"\x00" * 50_000)
    os.close(w)
    async with client_for(double, "async") as client:
        with (
            open(r, "rb") as pipe,
            pytest.raises((tl.ServiceUnavailableError, tl.ApiConnectionError)),
        ):
            await client.embed.tasks.create("marengo3.0", video_file=pipe)
    assert await double.count("create_task") == 1


# --- refused, and many faults at once ----------------------------------------------------


async def test_refused_connection_gives_up_in_bounded_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with caplog.at_level(logging.INFO, logger="twelvelabs_embed"):
        async with tl.AsyncTwelveLabs(
            "k", base_url=f"http://127.0.0.1:{port}/v1.3", max_retries=2, timeout=TIMEOUT
        ) as client:
            with pytest.raises(tl.ApiConnectionError):
                await client.embed.tasks.status(TASK_ID)
    first, second = retry_delays(caplog.records)  # two retries, then it gives up
    assert first <= 0.5 and second <= 1.0, "two backoffs of at most 0.5 and 1 s"


@pytest.mark.usefixtures("fast_backoff")
async def test_many_concurrent_calls_through_mixed_faults(fake: FakePlatform) -> None:
    """40 status calls share one pool while a fault hits every other one: all succeed,
    and the pool is left clean. On the fake: its faults alternate request by request,
    and this process's descriptor count (the leak check) holds no engine sockets."""
    faults = [
        RETRYABLE[k] for k in ("503-text", "drop-before-response", "drop-mid-body", "500-json")
    ]
    fake.script("GET", "status", *[faults[i % len(faults)] for i in range(20)])
    async with asyncio.timeout(30), client_for(fake, "async", connection_limit=8) as client:
        results = await asyncio.gather(*(client.embed.tasks.status(TASK_ID) for _ in range(40)))
    assert all(r.id == TASK_ID for r in results)
    assert fake.count("GET", "status") == 60
