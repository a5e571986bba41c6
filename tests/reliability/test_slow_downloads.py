"""Slow ``video_url`` servers against the engine (issue #20 item 4).

A server that drips a byte every few seconds used to hold one of the engine's media
workers for the whole download limit (10 minutes), so two of them stopped all
processing. Downloads now run beside the media queue, with a minimum average rate.
The servers are real aiohttp servers on 127.0.0.1; the engine is the real engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.videos import make_video
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.local.url_fetch import next_bytes_deadline

pytestmark = pytest.mark.timeout(240)
KEY = "tlk_slow"


class DripServer:
    """``/drip``: headers at once, then one byte every ``interval`` s, for ever.
    ``/mute``: accepts the request and never answers. Counts what is open right now."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.open = 0
        self.opened = 0
        self.changed = asyncio.Event()

    def _move(self, delta: int) -> None:
        self.open += delta
        self.opened += max(0, delta)
        self.changed.set()

    async def drip(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Length": str(10_000_000)})
        self._move(+1)
        try:
            await resp.prepare(request)
            while True:
                await resp.write(b"\x00")
                await asyncio.sleep(self.interval)  # the drip's pace, the point of the test
        finally:
            self._move(-1)

    async def mute(self, request: web.Request) -> web.StreamResponse:
        self._move(+1)
        try:
            await asyncio.Event().wait()
        finally:
            self._move(-1)
        raise AssertionError("unreachable")

    async def wait_open(self, n: int, timeout: float = 60) -> None:
        async def reached() -> None:
            while self.open != n:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(reached(), timeout)


@pytest.fixture
async def drips() -> AsyncIterator[tuple[DripServer, str]]:
    server = DripServer()
    app = web.Application()
    app.router.add_get("/drip", server.drip)
    app.router.add_get("/mute", server.mute)
    runner = web.AppRunner(app, shutdown_timeout=1, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield server, f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("slow-media") / "v.mp4", duration=6, fps=10)


async def create(http: aiohttp.ClientSession, engine: LocalEngine, **form: Any) -> str:
    data = aiohttp.FormData(default_to_multipart=True)
    data.add_field("model_name", "marengo3.0")
    for k, v in form.items():
        if isinstance(v, Path):
            data.add_field(k, v.read_bytes(), filename=v.name, content_type="video/mp4")
        else:
            data.add_field(k, v)
    async with http.post(f"{engine.base_url}/embed/tasks", data=data) as r:
        body = await r.json()
        assert r.status == 200, body
        return str(body["_id"])


async def create_url_task(
    http: aiohttp.ClientSession, engine: LocalEngine, family: str, url: str
) -> str:
    """A v1 task (``video_url``) or a v2 task (``media_source.url``) on ``url``."""
    if family == "v1":
        return await create(http, engine, video_url=url)
    body = {
        "input_type": "video",
        "model_name": "marengo3.0",
        "video": {"media_source": {"url": url}},
    }
    async with http.post(f"{engine.base_url}/embed-v2/tasks", json=body) as r:
        created = await r.json()
        assert r.status in (200, 201, 202), created
        return str(created["_id"])


async def wait_final(
    http: aiohttp.ClientSession, engine: LocalEngine, task_id: str, timeout: float = 120
) -> dict[str, Any]:
    async def poll() -> dict[str, Any]:
        while True:
            async with http.get(f"{engine.base_url}/embed/tasks/{task_id}/status") as r:
                body: dict[str, Any] = await r.json()
            if body["status"] != "processing":
                return body
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(poll(), timeout)


@pytest.mark.parametrize("family", ["v1", "v2"])
async def test_dripping_urls_do_not_stop_processing(
    drips: tuple[DripServer, str], video: Path, family: str
) -> None:
    """One media worker, two URLs dripping a byte every 50 ms (a rate the engine is told
    to tolerate for minutes): an upload made after them is still embedded while both
    drips are open."""
    server, base = drips
    async with (
        LocalEngine(api_key=KEY, workers=1, allow_private_urls=True, fetch_grace_sec=600) as eng,
        aiohttp.ClientSession(headers={"x-api-key": KEY}) as http,
    ):
        for _ in range(2):
            await create_url_task(http, eng, family, f"{base}/drip")
        await server.wait_open(2)
        upload = await create(http, eng, video_file=video)
        final = await wait_final(http, eng, upload)
        assert final["status"] == "ready", final
        assert server.open == 2, "a drip ended before the upload was ready"
    await server.wait_open(0)  # stopping the engine hangs up on both


@pytest.mark.parametrize("path", ["drip", "mute"])
async def test_too_slow_downloads_fail_clearly(drips: tuple[DripServer, str], path: str) -> None:
    """Below the minimum rate after the grace period (a drip, or headers that never
    come), the task fails with the platform's code and a reason, and the connection is
    closed."""
    server, base = drips
    async with (
        LocalEngine(
            api_key=KEY,
            workers=1,
            allow_private_urls=True,
            fetch_min_rate=4096,
            fetch_grace_sec=0.5,
        ) as eng,
        aiohttp.ClientSession(headers={"x-api-key": KEY}) as http,
    ):
        final = await wait_final(http, eng, await create(http, eng, video_url=f"{base}/{path}"))
    assert final["status"] == "failed", final
    assert final["error"]["code"] == "parameter_invalid"
    assert "too slowly" in final["error"]["message"], final
    assert server.opened == 1
    await server.wait_open(0)


@pytest.mark.parametrize(
    ("received", "now", "late"),
    [(0, 0.4, False), (0, 0.6, True), (4096, 1.4, False), (4096, 1.6, True), (40960, 10.4, False)],
)
def test_next_bytes_deadline(received: int, now: float, late: bool) -> None:
    """4 KiB/s after a 0.5 s grace: bytes must keep the average up, not merely arrive."""
    assert (now > next_bytes_deadline(0.0, received, 4096, 0.5)) is late
