"""One crash budget for a poisonous video on Ray (issue #16): at most 3 runs in all.

The task runners re-queue a task whose worker crashed, up to 3 attempts, and Ray re-runs a
task whose worker died once by itself. Both used to apply, so a video that kills its worker
every time ran up to 6 times on Ray (3 on the pool). The runners now cap Ray's re-runs at
what is left of their budget and count every run. The real two-node cluster runs a real
Ray task that notes each run in a file and kills its own worker.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import aiohttp
import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

from tests.engine.conftest import wait_done
from twelvelabs_embed.local.app_keys import EXECUTOR, TASK_RUNNER, V2_RUNNER
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.local.executors.base import retries_left
from twelvelabs_embed.local.executors.ray import RayMediaExecutor

from . import jobs
from .conftest import TwoNodes

pytestmark = [pytest.mark.ray, pytest.mark.timeout(240)]


class PoisonVideo:
    """The engine's own Ray executor, with every job replaced by ``jobs.crash_counted``:
    what a video that crashes its decoder every time does, on real Ray workers."""

    def __init__(self, real: RayMediaExecutor, runs: Path) -> None:
        self.real = real
        self.runs = runs

    async def run(
        self, fn: Any, *args: Any, timeout: float | None = None, retries: int | None = None
    ) -> Any:
        return await self.real.run(
            jobs.crash_counted, str(self.runs), timeout=timeout, retries=retries
        )

    async def aclose(self) -> None:
        pass


async def test_a_video_that_always_crashes_runs_at_most_three_times_on_ray(
    cluster: TwoNodes, media: dict[str, Path], short_tmp: Path
) -> None:
    v1_runs, v2_runs = short_tmp / "v1", short_tmp / "v2"
    v1_runs.mkdir()
    v2_runs.mkdir()
    async with LocalEngine(
        data_dir=short_tmp / "data", executor="ray", ray_address=cluster.address, workers=1
    ) as engine:
        assert engine.app is not None
        real = engine.app[EXECUTOR]
        assert isinstance(real, RayMediaExecutor) and real.options.max_retries == 1
        engine.app[TASK_RUNNER]._executor = PoisonVideo(real, v1_runs)
        engine.app[V2_RUNNER]._executor = PoisonVideo(real, v2_runs)
        async with aiohttp.ClientSession(base_url=engine.base_url + "/") as s:
            fd = aiohttp.FormData()
            fd.add_field("model_name", "marengo3.0")
            fd.add_field("video_file", media["good"].read_bytes(), filename="good.mp4")
            async with s.post("embed/tasks", data=fd) as r:
                assert r.status == 200, await r.text()
                v1_id = (await r.json())["_id"]
            v1 = await wait_done(s, v1_id, timeout=180)
            assert v1["status"] == "failed" and "crashed 3 times" in v1["error"]["message"]
            b64 = base64.b64encode(media["good"].read_bytes()).decode()
            body = {
                "input_type": "video",
                "model_name": "marengo3.0",
                "video": {"media_source": {"base64_string": b64}},
            }
            async with s.post("embed-v2/tasks", json=body) as r:
                assert r.status in (200, 201, 202), await r.text()
                v2_id = (await r.json())["_id"]
            await engine.wait_idle(timeout=180)
            async with s.get(f"embed-v2/tasks/{v2_id}") as r:
                v2 = await r.json()
            assert v2["status"] == "failed" and "crashed 3 times" in str(v2), v2
    # Ray re-ran the first attempt once (2 runs), the runner's re-queue ran once more.
    assert len(list(v1_runs.iterdir())) == 3
    assert len(list(v2_runs.iterdir())) == 3
    assert real.crashes == 4  # two `run` calls per task ended in a crash


@pytest.mark.parametrize(("runs_so_far", "left"), [(0, 2), (1, 1), (2, 0), (3, 0), (7, 0)])
def test_the_budget_left_for_an_executors_own_re_runs(runs_so_far: int, left: int) -> None:
    assert retries_left(3, runs_so_far) == left
