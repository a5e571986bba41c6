"""A small scriptable stand-in for the platform, served by aiohttp on 127.0.0.1.

It records every request (method, path, query, headers, raw body) and answers with a
tiny in-memory task store, unless a scripted fault is queued for that route: an error
status, a delay, a dropped connection, a truncated body.

Client tests run against the engine's control plane (``tests/engine_double.py``); this
fake stays only for what the engine cannot do:

* show the raw request: multipart bytes and boundary (a retry resends identical bytes,
  a filename's escaping), headers (``User-Agent``, no ``x-api-key``, ``Content-Length``),
  the undecoded path (an id that must stay in its segment). The engine's request log
  keeps form fields and an upload's digest, never bytes or headers;
* take bytes that are not a video as a video (the engine probes every upload and
  refuses them), e.g. hundreds of MB of zeros to measure the client's memory;
* answer in ways the engine's rules do not: a body sent one byte at a time
  (``trickle``), a drop before reading the upload (``consume_body=False``), latency
  after the upload was read whole (the engine's latency comes before its handler);
* hold an answer until N requests are in flight (``when_in_flight``), to see a
  concurrency bound reached;
* finish a task after an exact number of polls (``polls_until_ready``), to count a
  poller's rounds;
* rate-limit creates in fixed windows while recording when each arrived, to replay
  how a job's rate gate paced them.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from collections.abc import Mapping
from typing import Any

import attrs
import orjson
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fake_v2 import FakeV2, sync_embed, v2_route


@attrs.define
class Recorded:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    at: float


@attrs.define
class Fault:
    """One scripted answer. ``drop``: close the socket without answering;
    ``truncate``: announce a longer body than is sent, then close; ``trickle``: send
    the headers at once, then the body one byte every ``trickle`` seconds (a slow body);
    ``content_type``: overrides the JSON/text content type; ``hold``: wait for an event
    before answering."""

    status: int = 200
    json: Any = None
    text: str | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    delay: float = 0.0
    drop: bool = False
    truncate: bool = False
    consume_body: bool = True
    trickle: float = 0.0
    content_type: str | None = None
    hold: asyncio.Event | None = None
    """Answer only once this event is set (see :meth:`FakePlatform.when_in_flight`)."""


@attrs.define
class FakeTask:
    id: str
    model_name: str
    fields: dict[str, list[str]]
    file_size: int
    created_at: str
    polls_until_ready: int = 1
    final_status: str = "ready"
    polls: int = 0

    @property
    def status(self) -> str:
        return self.final_status if self.polls >= self.polls_until_ready else "processing"


class FakePlatform:
    """``async with FakePlatform() as fake: fake.base_url ...``"""

    def __init__(self, *, api_key: str = "tlk_test", polls_until_ready: int = 1) -> None:
        self.api_key = api_key
        self.polls_until_ready = polls_until_ready
        self.requests: list[Recorded] = []
        self.tasks: dict[str, FakeTask] = {}
        self.faults: dict[tuple[str, str], deque[Fault]] = {}
        self.segments_per_task = 3
        self.dimension = 512
        self.v2 = FakeV2(segments=3, dimension=512, polls_until_ready=polls_until_ready)
        """The Embed API v2 routes' state (``tests/fake_v2.py``)."""
        self.in_flight = 0
        """Requests being handled right now; ``max_in_flight`` is the most seen at once."""
        self.max_in_flight = 0
        self._in_flight_events: list[tuple[int, asyncio.Event]] = []
        self._server: TestServer | None = None

    # --- scripting ---------------------------------------------------------------
    def script(self, method: str, route: str, *faults: Fault) -> None:
        """Queue faults for ``route`` (``create``, ``status``, ``retrieve``, ``list``; v2:
        ``v2_create``, ``v2_task_create``, ``v2_list``, ``v2_retrieve``; ``sync_create``)."""
        self.faults.setdefault((method, route), deque()).extend(faults)

    def when_in_flight(self, n: int) -> asyncio.Event:
        """An event set once ``n`` requests are being handled at the same time."""
        event = asyncio.Event()
        self._in_flight_events.append((n, event))
        return event

    def count(self, method: str, route: str) -> int:
        return sum(
            1 for r in self.requests if r.method == method and _route(r.method, r.path) == route
        )

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("/v1.3"))

    # --- lifecycle ---------------------------------------------------------------
    async def __aenter__(self) -> FakePlatform:
        app = web.Application(client_max_size=1024**4)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        await self._server.close()

    # --- handling ----------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        for n, event in self._in_flight_events:
            if self.in_flight >= n:
                event.set()
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path.split("?")[0]
        route = _route(request.method, raw_path)
        queue = self.faults.get((request.method, route))
        fault = queue.popleft() if queue else None
        if fault is not None and not fault.consume_body:
            body = b""
        else:
            body = await _read_counting(request)
        loop = asyncio.get_running_loop()
        self.requests.append(
            Recorded(
                request.method,
                raw_path,
                list(request.query.items()),
                dict(request.headers),
                body,
                loop.time(),
            )
        )
        if fault is not None:
            return await self._fault(request, fault)
        if request.headers.get("x-api-key") != self.api_key:
            return _error(401, "api_key_invalid", "API Key is either invalid or expired.")
        return await self._serve(request, route, body)

    async def _fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.hold is not None:
            await fault.hold.wait()
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=599)
        if fault.truncate:
            resp = web.StreamResponse(status=fault.status, headers=dict(fault.headers))
            resp.content_length = 1000
            resp.content_type = "application/json"
            await resp.prepare(request)
            await resp.write(b'{"_id": "abc')
            assert request.transport is not None
            request.transport.close()
            return resp
        body = orjson.dumps(fault.json) if fault.json is not None else (fault.text or "").encode()
        ctype = fault.content_type or (
            "application/json" if fault.json is not None else "text/plain"
        )
        if fault.trickle:
            resp = web.StreamResponse(status=fault.status, headers=dict(fault.headers))
            resp.content_length = len(body)
            resp.content_type = ctype
            await resp.prepare(request)
            for i in range(len(body)):
                await asyncio.sleep(fault.trickle)
                await resp.write(body[i : i + 1])
            await resp.write_eof()
            return resp
        headers = {"Content-Type": ctype, **fault.headers}
        return web.Response(status=fault.status, body=body, headers=headers)

    async def _serve(self, request: web.Request, route: str, body: bytes) -> web.StreamResponse:
        if route.startswith("v2_"):
            return self.v2.serve(route, request, body)
        if route == "sync_create":
            fields, _ = parse_multipart(body, request.headers.get("Content-Type", ""))
            files = [n for n in ("image_file", "audio_file") if f'name="{n}"'.encode() in body]
            return sync_embed(fields, files, self.dimension)
        if route == "create":
            return self._create(request, body)
        if route == "list":
            return self._list(request)
        task_id = request.raw_path.split("?")[0].split("/")[4]
        task = self.tasks.get(task_id)
        if task is None:
            return _error(404, "resource_not_exist", f"Resource with id {task_id} does not exist.")
        if route == "status":
            task.polls += 1
            return _json(self._status(task))
        return _json(self._retrieve(task, request.query.getall("embedding_option", [])))

    def _create(self, request: web.Request, body: bytes) -> web.Response:
        fields, file_size = parse_multipart(body, request.headers.get("Content-Type", ""))
        if "model_name" not in fields:
            return _error(400, "parameter_not_provided", "The model_name parameter is required.")
        task = FakeTask(
            secrets.token_hex(12),
            fields["model_name"][0],
            fields,
            file_size,
            f"2026-11-{len(self.tasks) % 28 + 1:02d}T00:00:00Z",
            polls_until_ready=self.polls_until_ready,
        )
        self.tasks[task.id] = task
        return _json({"_id": task.id})

    def _metadata(self, task: FakeTask) -> dict[str, Any]:
        return {
            "input_filename": "upload.mp4",
            "video_clip_length": float(task.fields.get("video_clip_length", ["6"])[0]),
            "video_embedding_scope": task.fields.get("video_embedding_scope", ["clip"]),
            "duration": 18.0,
        }

    def _status(self, task: FakeTask) -> dict[str, Any]:
        return {
            "_id": task.id,
            "model_name": task.model_name,
            "status": task.status,
            "video_embedding": {"metadata": self._metadata(task)},
        }

    def _retrieve(self, task: FakeTask, options: list[str]) -> dict[str, Any]:
        out = self._status(task) | {"created_at": task.created_at, "updated_at": task.created_at}
        if task.status == "ready":
            segs = []
            for option in options or ["visual", "audio"]:
                for i in range(self.segments_per_task):
                    vec = [0.0] * self.dimension
                    vec[i % self.dimension] = 1.0
                    segs.append(
                        {
                            "float": vec,
                            "start_offset_sec": 6.0 * i,
                            "end_offset_sec": 6.0 * (i + 1),
                            "embedding_option": option,
                            "embedding_scope": "clip",
                        }
                    )
            out["video_embedding"]["segments"] = segs
        return out

    def _list(self, request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        limit = int(request.query.get("page_limit", "10"))
        tasks = sorted(self.tasks.values(), key=lambda t: t.created_at, reverse=True)
        chunk = tasks[(page - 1) * limit : page * limit]
        data = [
            {
                "_id": t.id,
                "model_name": t.model_name,
                "status": t.status,
                "created_at": t.created_at,
            }
            for t in chunk
        ]
        total_page = max(1, -(-len(tasks) // limit))
        info = {
            "limit_per_page": limit,
            "page": page,
            "total_page": total_page,
            "total_results": len(tasks),
        }
        return _json({"data": data, "page_info": info})


def _route(method: str, path: str) -> str:
    parts = path.strip("/").split("/")
    v2 = v2_route(method, parts)
    if v2 is not None:
        return v2
    if parts[-2:] == ["embed", "tasks"]:
        return "create" if method == "POST" else "list"
    if parts[-1] == "status":
        return "status"
    return "retrieve"


async def _read_counting(request: web.Request) -> bytes:
    """Read the body; a large upload is counted, not kept, so memory stays flat."""
    chunks = []
    kept = 0
    total = 0
    async for chunk in request.content.iter_chunked(1 << 20):
        total += len(chunk)
        if kept < 1 << 20:
            chunks.append(chunk)
            kept += len(chunk)
    body = b"".join(chunks)
    if total > kept:
        return body[:4096] + f"...<{total} bytes>".encode()
    return body


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, list[str]], int]:
    """Text fields and the file part's size from a recorded multipart body."""
    if "boundary=" not in content_type:
        return {}, 0
    boundary = content_type.split("boundary=")[1].strip('"').encode()
    fields: dict[str, list[str]] = {}
    file_size = 0
    for part in body.split(b"--" + boundary):
        if b"\r\n\r\n" not in part:
            continue
        head, _, value = part.partition(b"\r\n\r\n")
        value = value[:-2] if value.endswith(b"\r\n") else value
        name = head.split(b'name="')[1].split(b'"')[0].decode()
        if b"filename=" in head:
            file_size = len(value)
        else:
            fields.setdefault(name, []).append(value.decode())
    return fields, file_size


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(data), content_type="application/json")


def _error(status: int, code: str, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status)
