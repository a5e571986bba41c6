"""v2 tasks under the engine's control plane: lifecycle, forced states, faults on v2 routes."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.testing import AsyncEngineControl

from .conftest import API_KEY

pytestmark = [pytest.mark.timeout(120)]


@pytest.fixture
async def eng(tmp_path: Path) -> AsyncIterator[LocalEngine]:
    async with LocalEngine(data_dir=tmp_path, api_key=API_KEY, workers=1, control=True) as e:
        yield e


@pytest.fixture
async def http(eng: LocalEngine) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        base_url=eng.base_url + "/", headers={"x-api-key": API_KEY}
    ) as s:
        yield s


def task_body(video: Path) -> dict[str, Any]:
    b64 = base64.b64encode(video.read_bytes()).decode()
    return {
        "input_type": "video",
        "model_name": "marengo3.0",
        "video": {"media_source": {"base64_string": b64}, "embedding_option": ["visual"]},
    }


async def retrieve(http: aiohttp.ClientSession, task_id: str) -> Any:
    async with http.get(f"embed-v2/tasks/{task_id}") as r:
        return await r.json()


async def test_manual_mode_complete_and_fail(
    eng: LocalEngine, http: aiohttp.ClientSession, media: dict[str, Path]
) -> None:
    ctl: AsyncEngineControl = eng.async_control
    await ctl.lifecycle.set("manual")
    ids = []
    for _ in range(2):
        async with http.post("embed-v2/tasks", json=task_body(media["good"])) as r:
            assert r.status == 202
            ids.append((await r.json())["_id"])
    await eng.wait_idle()  # both parked: the runner is idle, the tasks still processing
    assert [(await retrieve(http, t))["status"] for t in ids] == ["processing", "processing"]
    assert await ctl.tasks.complete(ids[0]) == "ready"
    done = await retrieve(http, ids[0])
    assert done["status"] == "ready" and {d["embedding_option"] for d in done["data"]} == {"visual"}
    await ctl.tasks.fail(ids[1], message="The embedding task failed. Please try again later.")
    failed = await retrieve(http, ids[1])
    assert failed["status"] == "failed" and failed["data"] is None
    assert failed["error"] == {"message": "The embedding task failed. Please try again later."}
    stats = await ctl.stats()
    assert stats["families"]["v2"]["tasks"] == {"ready": 1, "failed": 1}, stats


async def test_faults_on_v2_routes_answer_in_the_v2_shape(
    eng: LocalEngine, http: aiohttp.ClientSession
) -> None:
    await eng.async_control.faults.add(
        "create_embeddings_v2", status=429, code="too_many_requests", message="slow down", count=1
    )
    body = {"input_type": "text", "model_name": "marengo3.0", "text": {"input_text": "a"}}
    async with http.post("embed-v2", json=body) as r:
        assert r.status == 429
        assert (await r.json())["error"] == {"code": "too_many_requests", "message": "slow down"}
    async with http.post("embed-v2", json=body) as r:
        assert r.status == 200  # the fault struck once
