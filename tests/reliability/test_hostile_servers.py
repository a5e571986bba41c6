"""The SDK against hostile servers on 127.0.0.1 (issue #20 items 2, 3, 11): redirects that
try to carry the API key elsewhere, decompression bombs and endless bodies, and a server
that keeps a call alive by dripping bytes."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from twelvelabs_embed import (
    ApiTimeoutError,
    AsyncTwelveLabs,
    ResponseTooLargeError,
)

pytestmark = pytest.mark.timeout(120)
KEY = "tlk_secret_do_not_leak"
STATUS = {"_id": "t1", "model_name": "marengo3.0", "status": "processing"}


class Servers:
    """``api`` (the configured base URL) and ``other`` (another port): every request
    each one saw, with its headers."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str | None]] = []  # (server, path, x-api-key)
        self.api_port = 0
        self.other_port = 0

    def record(self, name: str, request: web.Request) -> None:
        self.seen.append((name, request.path, request.headers.get("x-api-key")))

    def keys_at(self, name: str) -> list[str | None]:
        return [k for n, _, k in self.seen if n == name]


async def _start(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    s = Servers()

    async def other(request: web.Request) -> web.StreamResponse:
        s.record("other", request)
        return web.json_response(STATUS)

    async def api(request: web.Request) -> web.StreamResponse:
        s.record("api", request)
        kind = request.match_info["kind"]
        here = f"http://127.0.0.1:{s.api_port}/v1.3/embed/tasks/landed/status"
        there = f"http://127.0.0.1:{s.other_port}/v1.3/embed/tasks/t1/status"
        targets = {
            "same": here,
            "other-port": there,
            "localhost-name": there.replace("127.0.0.1", "localhost"),
        }
        if kind in targets:
            code = int(request.query.get("code", "302"))
            raise web.HTTPFound(targets[kind]) if code == 302 else _redirect(code, targets[kind])
        if kind == "landed":
            return web.json_response(STATUS)
        if kind == "gzip-bomb":  # 1 MB on the wire, 1 GB once decompressed
            body = gzip.compress(b"\0" * (1 << 30), compresslevel=9)
            return web.Response(
                body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
            )
        if kind in ("endless", "drip"):
            resp = web.StreamResponse(headers={"Content-Type": "application/json"})
            await resp.prepare(request)
            await resp.write(b'{"_id": "t1", "x": "')
            while True:  # until the client hangs up
                await resp.write(b"\0" * (1 << 16) if kind == "endless" else b"a")
                if kind == "drip":
                    await asyncio.sleep(0.1)  # the drip's pace, the point of the test
        raise web.HTTPNotFound()

    api_app, other_app = web.Application(), web.Application()
    api_app.router.add_get("/v1.3/embed/tasks/{kind}/status", api)
    other_app.router.add_get("/v1.3/embed/tasks/{kind}/status", other)
    api_runner, s.api_port = await _start(api_app)
    other_runner, s.other_port = await _start(other_app)
    yield s
    await api_runner.cleanup()
    await other_runner.cleanup()


def _redirect(code: int, location: str) -> web.HTTPException:
    cls: Any = {301: web.HTTPMovedPermanently, 303: web.HTTPSeeOther,
                307: web.HTTPTemporaryRedirect, 308: web.HTTPPermanentRedirect}[code]  # fmt: skip
    return cls(location)  # type: ignore[no-any-return]


def client(servers: Servers, **kw: Any) -> AsyncTwelveLabs:
    return AsyncTwelveLabs(KEY, base_url=f"http://127.0.0.1:{servers.api_port}/v1.3", **kw)


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("where", ["other-port", "localhost-name"])
async def test_a_redirect_to_another_origin_never_carries_the_key(
    servers: Servers, code: int, where: str
) -> None:
    async with client(servers) as c:
        status = await c.embed.tasks.status(
            where, request_options={"additional_query_parameters": {"code": str(code)}}
        )
    assert status.status == "processing"
    assert servers.keys_at("api") == [KEY]
    assert servers.keys_at("other") == [None], servers.seen


async def test_a_key_in_additional_headers_stays_home_too(servers: Servers) -> None:
    async with client(servers) as c:
        await c.embed.tasks.status(
            "other-port", request_options={"additional_headers": {"X-Api-Key": KEY}}
        )
    assert servers.keys_at("other") == [None], servers.seen


async def test_a_same_origin_redirect_keeps_the_key(servers: Servers) -> None:
    """The control: the key still goes where it belongs after a redirect."""
    async with client(servers) as c:
        status = await c.embed.tasks.status("same")
    assert status.status == "processing"
    assert servers.keys_at("api") == [KEY, KEY]


@pytest.mark.parametrize("kind", ["gzip-bomb", "endless"])
async def test_bodies_past_the_cap_raise_a_typed_error(servers: Servers, kind: str) -> None:
    async with client(servers, max_response_bytes=8 << 20) as c:
        with pytest.raises(ResponseTooLargeError) as info:
            await c.embed.tasks.status(kind)
    assert info.value.limit == 8 << 20 and info.value.size > 8 << 20
    assert not info.value.retryable
    assert len(servers.keys_at("api")) == 1, "not retried"


async def test_a_deadline_bounds_the_whole_call(servers: Servers) -> None:
    """A byte every 100 ms never trips the 30 s per-read timeout; the 1 s deadline ends
    the call, and says which limit it was."""
    async with client(servers, timeout=30, deadline=1.0) as c:
        with pytest.raises(ApiTimeoutError, match="deadline of 1 s"):
            await c.embed.tasks.status("drip")
    async with client(servers, timeout=30) as c:  # per call, through request_options
        with pytest.raises(ApiTimeoutError, match=r"deadline of 0\.5 s"):
            await c.embed.tasks.status("drip", request_options={"deadline_in_seconds": 0.5})
