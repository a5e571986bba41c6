"""The engine as the platform of the client tests: one engine for the whole session (the
pytest plugin's ``tl_engine_session``), every task deleted and every fault, limit, clock
and lifecycle setting reset before and after each test.

Tests break requests with fault rules, keep tasks ``processing`` with the manual
lifecycle (``video_url`` tasks are only ever created under it, so the engine never
fetches a URL), finish them with ``control.tasks.complete``/``fail``, and read back what
was sent from the request log. ``tests/fakeplatform.py`` remains for what the engine
cannot produce (see its docstring).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

import aiohttp
import attrs

from twelvelabs_embed.testing import AsyncEngineControl, EngineControl
from twelvelabs_embed.testing.control import LoggedRequest

URL = "https://example.com/v.mp4"
"""Never fetched: URL tasks exist only under the manual lifecycle (see the module)."""


class Server(Protocol):
    """What a client needs to reach a server: the fake platform or the engine."""

    @property
    def api_key(self) -> str: ...

    @property
    def base_url(self) -> str: ...


@attrs.frozen
class EngineDouble:
    """The session's engine, seen from one test: where it is and its async control."""

    base_url: str
    api_key: str
    control: AsyncEngineControl
    blocking: EngineControl
    """The same control plane for sync code and callbacks (it blocks its caller)."""

    async def requests(self, route: str | None = None) -> list[LoggedRequest]:
        return await self.control.requests.list(route=route)

    async def count(self, route: str) -> int:
        return len(await self.control.requests.list(route=route))

    async def processing_task(self, video: bytes | None = None, **fields: str) -> str:
        """A task that stays ``processing`` (the lifecycle turns manual), created over plain
        HTTP so the client under test sends nothing; from ``video`` (a real one) or from
        :data:`URL`. The request log is cleared after it."""
        await self.control.lifecycle.set("manual")
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("model_name", fields.pop("model_name", "marengo3.0"))
        for name, value in fields.items():
            form.add_field(name, value)
        if video is None:
            form.add_field("video_url", URL)
        else:
            form.add_field("video_file", video, filename="clip.mp4", content_type="video/mp4")
        async with (
            aiohttp.ClientSession(headers={"x-api-key": self.api_key}) as http,
            http.post(self.base_url + "/embed/tasks", data=form) as resp,
        ):
            body = await resp.json()
            assert resp.status == 200, body
        await self.control.requests.clear()
        return str(body["_id"])


async def until(check: Callable[[], Awaitable[bool]], *, attempts: int = 3000) -> None:
    """Wait until ``check()`` holds, looking every 10 ms (a hang guard of 30 s, not a
    timing assertion): for what the engine does on its own thread, seen through its
    control plane."""
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the engine never got there")
