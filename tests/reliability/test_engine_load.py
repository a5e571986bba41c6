"""Load: 50 uploads at once through the SDK client, all get ids and results; the same
with the official SDK's async client; and raw concurrent traffic mixing uploads, polls,
lists and refusals. Nothing is lost, every id is distinct, no upload file is left."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

import twelvelabs_embed as tl
from tests.videos import make_video
from twelvelabs_embed.local.engine import LocalEngine

pytestmark = pytest.mark.timeout(150)
N = 50


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("load-media")
    return [
        make_video(d / f"v{i}.mp4", width=480, height=360, duration=4.5, fps=8, seed=i)
        for i in range(3)
    ]


async def test_50_concurrent_uploads_all_get_ids_and_results(
    tmp_path: Path, videos: list[Path]
) -> None:
    async with (
        LocalEngine(data_dir=tmp_path / "data", api_key="k", workers=2) as engine,
        tl.AsyncTwelveLabs("k", base_url=engine.base_url, timeout=60, max_retries=0) as client,
    ):
        start = time.monotonic()
        created = await asyncio.gather(
            *(
                client.embed.tasks.create(
                    "marengo3.0",
                    video_file=videos[i % len(videos)],
                    video_clip_length=2,
                    video_embedding_scope=["clip", "video"],
                )
                for i in range(N)
            )
        )
        ids = [t.id for t in created]
        assert len(set(ids)) == N and all(ids)
        finals = await client.embed.tasks.wait_for_many(
            ids, sleep_interval=0.2, timeout=120, concurrency=N
        )
        assert [f.status for f in finals] == ["ready"] * N, [f.error for f in finals]
        results = await asyncio.gather(*(client.embed.tasks.retrieve(i) for i in ids))
        for i, r in enumerate(results):
            m = r.to_numpy()
            assert m.vectors.shape[1] == 512
            # 4.5 s in 2 s clips: 2 clips (the 0.5 s tail is dropped) + the video segment,
            # for each of the two options
            assert m.vectors.shape[0] == 6, (i, m.vectors.shape)
        # the same video gives the same vectors, whichever upload carried it
        same = [r.to_numpy().vectors for r in results[:: len(videos)]]
        assert all((s == same[0]).all() for s in same)
        pager = await client.embed.tasks.list(page_limit=50)
        assert pager.page_info is not None and pager.page_info.total_results == N
        assert list((engine.data_dir / "media").iterdir()) == []
        print(f"{N} uploads to ready in {time.monotonic() - start:.1f} s")


async def test_official_sdk_async_concurrent_uploads(tmp_path: Path, videos: list[Path]) -> None:
    twelvelabs = pytest.importorskip("twelvelabs")
    async with LocalEngine(data_dir=tmp_path / "data", api_key="k", workers=2) as engine:
        sdk = twelvelabs.AsyncTwelveLabs(api_key="k", base_url=engine.base_url)

        async def one(i: int) -> str:
            with open(videos[i % len(videos)], "rb") as f:
                task = await sdk.embed.tasks.create(model_name="marengo3.0", video_file=f)
            return str(task.id)

        ids = await asyncio.gather(*(one(i) for i in range(20)))
        assert len(set(ids)) == 20
        await engine.wait_idle(60)
        statuses = await asyncio.gather(*(sdk.embed.tasks.status(i) for i in ids))
        assert {s.status for s in statuses} == {"ready"}
        await sdk._client_wrapper.httpx_client.httpx_client.aclose()


async def test_mixed_concurrent_traffic(tmp_path: Path, videos: list[Path]) -> None:
    """Uploads, refusals (bad params, garbage files, a wrong key), polls and lists all at
    once: each request gets its own right answer."""
    async with (
        LocalEngine(data_dir=tmp_path / "data", api_key="k", workers=2) as engine,
        aiohttp.ClientSession(base_url=engine.base_url + "/", headers={"x-api-key": "k"}) as s,
    ):

        def form(video: bytes | None, **fields: str) -> aiohttp.FormData:
            fd = aiohttp.FormData(default_to_multipart=True)
            fd.add_field("model_name", "marengo3.0")
            for k, v in fields.items():
                fd.add_field(k, v)
            if video is not None:
                fd.add_field("video_file", video, filename="v.mp4", content_type="video/mp4")
            return fd

        good = videos[0].read_bytes()

        async def good_upload() -> tuple[str, int, dict[str, str]]:
            async with s.post("embed/tasks", data=form(good)) as r:
                return "good", r.status, await r.json()

        async def bad_param() -> tuple[str, int, dict[str, str]]:
            async with s.post("embed/tasks", data=form(good, video_clip_length="11")) as r:
                return "bad_param", r.status, await r.json()

        async def garbage() -> tuple[str, int, dict[str, str]]:
            async with s.post("embed/tasks", data=form(b"\x00garbage" * 1000)) as r:
                return "garbage", r.status, await r.json()

        async def wrong_key() -> tuple[str, int, dict[str, str]]:
            async with s.get("embed/tasks", headers={"x-api-key": "nope"}) as r:
                return "wrong_key", r.status, await r.json()

        async def listing() -> tuple[str, int, dict[str, str]]:
            async with s.get("embed/tasks", params={"page_limit": "50"}) as r:
                return "list", r.status, await r.json()

        kinds = [good_upload, bad_param, garbage, wrong_key, listing]
        results = await asyncio.gather(*(kinds[i % len(kinds)]() for i in range(100)))
        expected = {
            "good": (200, None),
            "bad_param": (400, "parameter_invalid"),
            "garbage": (400, "video_file_broken"),
            "wrong_key": (401, "api_key_invalid"),
            "list": (200, None),
        }
        for kind, status, body in results:
            assert (status, body.get("code")) == expected[kind], (kind, status, body)
        ids = [b["_id"] for k, _, b in results if k == "good"]
        assert len(set(ids)) == 20
        await engine.wait_idle(60)
        for task_id in ids:
            async with s.get(f"embed/tasks/{task_id}/status") as r:
                assert (await r.json())["status"] == "ready"
        assert list((engine.data_dir / "media").iterdir()) == []
