"""The start-up sweep of the media directory across an engine restart (issue #20).

v1 and v2 tasks share ``media/``. The v1 runner's sweep used to remove every
``.download`` no unfinished *v1* task owned, a v2 task's finished download included,
which the engine then fetched again. Each family now sweeps only its own names. The test
restarts a real engine on one data dir, with a real URL server that counts its GETs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.engine.conftest import form, wait_done
from twelvelabs_embed.local.engine import LocalEngine

KEY = "tlk_sweep_tests"


class GatedVideos:
    """Serves ``/v/<name>``: counts GETs per name, and holds each answer until
    ``release`` is set (so the test can act while the downloads are in flight)."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files
        self.gets: dict[str, int] = {}
        self.release = asyncio.Event()
        self.changed = asyncio.Event()

    async def handle(self, request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        self.gets[name] = self.gets.get(name, 0) + 1
        self.changed.set()
        await self.release.wait()
        return web.FileResponse(self.files[name])

    async def wait_gets(self, n: int) -> None:
        while sum(self.gets.values()) < n:
            self.changed.clear()
            await self.changed.wait()


@pytest.fixture
async def videos(media: dict[str, Path]) -> AsyncIterator[tuple[GatedVideos, str]]:
    server = GatedVideos({"v1.mp4": media["good"], "v2.mp4": media["good2"]})
    app = web.Application()
    app.router.add_get("/v/{name}", server.handle)
    async with TestServer(app, host="127.0.0.1") as ts:
        yield server, str(ts.make_url("/v/"))


def engine(data: Path, **settings: object) -> LocalEngine:
    return LocalEngine(
        data_dir=data, api_key=KEY, workers=1, allow_private_urls=True, control=True, **settings
    )


@pytest.mark.timeout(240)
@pytest.mark.parametrize("legacy", [False, True], ids=["", "v2-download-under-its-old-name"])
async def test_restart_keeps_each_familys_finished_downloads_and_sweeps_its_orphans(
    tmp_path: Path, videos: tuple[GatedVideos, str], legacy: bool
) -> None:
    """``legacy``: the v2 download carries the name older versions gave it (a v1 one)."""
    server, base = videos
    headers = {"x-api-key": KEY}
    media_dir = tmp_path / "media"
    async with engine(tmp_path) as eng, aiohttp.ClientSession(headers=headers) as http:
        async with http.post(
            f"{eng.base_url}/embed/tasks",
            data=form(model_name="marengo3.0", video_url=base + "v1.mp4"),
        ) as r:
            assert r.status == 200, await r.text()
            v1_id = (await r.json())["_id"]
        body = {
            "input_type": "video",
            "model_name": "marengo3.0",
            "video": {"media_source": {"url": base + "v2.mp4"}},
        }
        async with http.post(f"{eng.base_url}/embed-v2/tasks", json=body) as r:
            assert r.status in (200, 201, 202), await r.text()
            v2_id = (await r.json())["_id"]
        # Both downloads are in flight; from now on tasks wait (manual mode), so each
        # finished download stays on disk with its task still `processing`.
        await asyncio.wait_for(server.wait_gets(2), 60)
        await eng.async_control.lifecycle.set("manual")
        server.release.set()
        await eng.wait_idle()
        kept = sorted(p.name for p in media_dir.iterdir())
        assert len(kept) == 2 and all(p.startswith((v1_id, v2_id)) for p in kept), kept
    # What a crash leaves behind, one of each family's kinds.
    orphans = [
        "0123456789abcdef01234567.upload",  # a v1 create cut off before its task was stored
        "0123456789abcdef01234568.download.part",  # a v1 download cut off
        "embed-00ff-video_file",  # a v1 sync /embed request
        "0123456789abcdef01234569.source",  # a v2 create cut off
        "0123456789abcdef0123456a.v2-download.part",  # a v2 download cut off
        "sync-00ff-0.source",  # a v2 sync request
    ]
    for name in orphans:
        (media_dir / name).write_bytes(b"left by a crash")
    if legacy:
        (media_dir / f"{v2_id}.v2-download").rename(media_dir / f"{v2_id}.download")
    async with (
        engine(tmp_path, scenario={"lifecycle": {"mode": "manual"}}) as eng,
        aiohttp.ClientSession(base_url=eng.base_url + "/", headers=headers) as http,
    ):
        assert sorted(p.name for p in media_dir.iterdir()) == kept  # only orphans went
        await eng.async_control.lifecycle.set("auto")
        assert (await wait_done(http, v1_id))["status"] == "ready"
        await eng.wait_idle()
        async with http.get(f"embed-v2/tasks/{v2_id}") as r:
            assert (await r.json())["status"] == "ready"
    assert server.gets == {"v1.mp4": 1, "v2.mp4": 1}  # neither was fetched again
    assert list(media_dir.iterdir()) == []
