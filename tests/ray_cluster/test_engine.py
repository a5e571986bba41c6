"""The engine with ``executor="ray"``: the API and the official SDK see no difference, a node
lost mid-job and an engine restart still end every task ``ready``, and ``serve`` flags."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import numpy as np
import pytest
from twelvelabs import TwelveLabs

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from tests.engine.conftest import wait_done
from twelvelabs_embed.local.app_keys import EXECUTOR, STORE
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.local.executors.ray import RayMediaExecutor

from . import jobs
from .conftest import TwoNodes
from .test_executor import until, wait_for_files

pytestmark = [pytest.mark.ray, pytest.mark.timeout(180)]


def sdk_session(engine: LocalEngine, media: dict[str, Path], url: str) -> list[dict[str, Any]]:
    """What a user of the official SDK sees: a file task and a URL task, waited and retrieved."""
    with httpx.Client(timeout=60) as http:
        client = TwelveLabs(api_key=engine.api_key, base_url=engine.base_url, httpx_client=http)
        with media["bunny"].open("rb") as f:
            a = client.embed.tasks.create(
                model_name="marengo3.0", video_file=f, video_embedding_scope=["clip", "video"]
            )
        b = client.embed.tasks.create(
            model_name="Marengo-retrieval-2.7", video_url=f"{url}/good.mp4", video_clip_length=2
        )
        seen = []
        for created in (a, b):
            done = client.embed.tasks.wait_for_done(created.id, sleep_interval=0.1)
            task = client.embed.tasks.retrieve(created.id)
            seen.append(
                {
                    "status": done.status,
                    "model": task.model_name,
                    "metadata": task.video_embedding.metadata.dict(exclude={"input_url"}),
                    "segments": [
                        (
                            s.start_offset_sec,
                            s.end_offset_sec,
                            s.embedding_option,
                            s.embedding_scope,
                        )
                        for s in task.video_embedding.segments
                    ],
                    "vectors": np.asarray([s.float_ for s in task.video_embedding.segments]),
                }
            )
        return seen


def test_the_official_sdk_sees_no_difference(
    cluster: TwoNodes, media: dict[str, Path], file_server_thread: str, tmp_path: Path
) -> None:
    opts: dict[str, Any] = {"workers": 2, "allow_private_urls": True, "api_key": "tlk_ray"}
    with LocalEngine(data_dir=tmp_path / "local", **opts) as local:
        want = sdk_session(local, media, file_server_thread)
    with LocalEngine(
        data_dir=tmp_path / "ray", executor="ray", ray_address=cluster.address, control=True, **opts
    ) as on_ray:
        got = sdk_session(on_ray, media, file_server_thread)
        root = on_ray.base_url.rsplit("/", 1)[0]
        reply = httpx.get(f"{root}/_engine/stats", headers={"x-api-key": "tlk_ray"}, timeout=30)
    stats = reply.json()["executor"]  # where the work ran, per Ray node and worker process
    assert stats["executor"] == "ray" and stats["jobs"] == 2
    assert set(stats["nodes"]) <= cluster.node_ids()
    assert sum(w["jobs"] for n in stats["nodes"].values() for w in n["workers"].values()) == 2
    for g, w in zip(got, want, strict=True):
        assert g["status"] == w["status"] == "ready"
        assert {k: g[k] for k in ("model", "metadata", "segments")} == {
            k: w[k] for k in ("model", "metadata", "segments")
        }
        np.testing.assert_allclose(g["vectors"], w["vectors"], rtol=0, atol=1e-6)


def blocker(node_id: str, started: Path, release: Path) -> ray.ObjectRef[Any]:
    """A Ray task that holds ``node_id``'s only CPU until ``release`` exists."""
    return (
        ray.remote(jobs.hold)
        .options(
            num_cpus=1, scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False)
        )
        .remote(str(started), node_id[:8], str(release))
    )


async def create_tasks(base_url: str, videos: list[Path]) -> list[str]:
    async with aiohttp.ClientSession(base_url=base_url + "/") as s:
        ids = []
        for v in videos:
            fd = aiohttp.FormData()
            fd.add_field("model_name", "marengo3.0")
            fd.add_field("video_file", io.BytesIO(v.read_bytes()), filename=v.name)
            async with s.post("embed/tasks", data=fd) as r:
                assert r.status == 200, (await r.text())[:500]
                ids.append((await r.json())["_id"])
        return ids


async def statuses(engine: LocalEngine, ids: list[str]) -> list[str]:
    async with aiohttp.ClientSession(base_url=engine.base_url + "/") as s:
        return [(await wait_done(s, i, timeout=120))["status"] for i in ids]


@pytest.fixture
def markers(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    started = tmp_path / "started"
    started.mkdir()
    release = tmp_path / "release"
    yield started, release
    release.touch()  # never leave a blocker holding a CPU


async def test_an_engine_restart_finishes_the_tasks_it_left_processing(
    cluster: TwoNodes, media: dict[str, Path], tmp_path: Path, markers: tuple[Path, Path]
) -> None:
    started, release = markers
    # Both CPUs busy: the engine's job is submitted but cannot start before it stops.
    blockers = [blocker(n, started, release) for n in cluster.node_ids()]
    await wait_for_files(started, 2)
    data = tmp_path / "data"
    opts: dict[str, Any] = {"executor": "ray", "ray_address": cluster.address, "workers": 2}
    async with LocalEngine(data_dir=data, **opts) as first:
        assert first.app is not None
        (task_id,) = await create_tasks(first.base_url, [media["good"]])
        executor = first.app[EXECUTOR]
        assert isinstance(executor, RayMediaExecutor)
        await until(lambda: executor.stats()["in_flight"] == 1, "the job was submitted")
    release.touch()
    await asyncio.gather(*blockers)
    async with LocalEngine(data_dir=data, **opts) as second:
        assert second.app is not None
        assert (await second.app[STORE].get(task_id)).status == "processing"  # type: ignore[union-attr]
        assert await statuses(second, [task_id]) == ["ready"]


async def test_losing_the_worker_node_mid_job_still_ends_every_task_ready(
    cluster: TwoNodes, media: dict[str, Path], tmp_path: Path, markers: tuple[Path, Path]
) -> None:
    started, release = markers
    head = cluster.head.node_id
    held = blocker(head, started, release)  # jobs can only go to the worker node
    await wait_for_files(started, 1)
    try:
        async with LocalEngine(
            data_dir=tmp_path / "data", executor="ray", ray_address=cluster.address, workers=2
        ) as engine:
            assert engine.app is not None
            executor = engine.app[EXECUTOR]
            assert isinstance(executor, RayMediaExecutor)
            ids = await create_tasks(
                engine.base_url, [media["bunny"], media["good"], media["good2"]]
            )
            await until(
                lambda: executor.stats()["jobs"] >= 1 and executor.stats()["in_flight"] >= 1,
                "one job done on the worker node, another in flight",
            )
            assert set(executor.stats()["nodes"]) == {cluster.worker.node_id}
            cluster.remove_worker()
            release.touch()  # Ray re-runs the lost job on the head node
            assert await statuses(engine, ids) == ["ready"] * 3
            assert await asyncio.wait_for(asyncio.wrap_future(held.future()), 60)
            assert executor.crashes == 0 and executor.stats()["jobs"] == 3
            assert head in executor.stats()["nodes"]
    finally:
        if cluster.worker is None:
            cluster.add_worker()  # the next tests want two nodes again


def test_serve_runs_on_ray_and_stops_cleanly(
    cluster: TwoNodes, media: dict[str, Path], tmp_path: Path
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "twelvelabs_embed.local", "--port", str(port), "--data-dir",
         str(tmp_path), "--executor", "ray", "--ray-address", cluster.address,
         "--log-level", "WARNING"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "RAY_AUTH_MODE": "disabled"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/v1.3" in line, line

        async def embed() -> list[str]:
            base_url = f"http://127.0.0.1:{port}/v1.3"
            ids = await create_tasks(base_url, [media["good"]])
            async with aiohttp.ClientSession(base_url=base_url + "/") as s:
                return [(await wait_done(s, i, timeout=120))["status"] for i in ids]

        assert asyncio.run(embed()) == ["ready"]
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        proc.stdout.close()  # type: ignore[union-attr]
    assert code == 0


def test_serve_without_a_cluster_says_so(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "twelvelabs_embed.local", "--port", "0", "--data-dir",
         str(tmp_path), "--executor", "ray", "--ray-address", "127.0.0.1:9"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_ADDRESS": ""},
    )  # fmt: skip
    assert out.returncode == 1
    assert "cannot start: cannot join the Ray cluster at 127.0.0.1:9" in out.stderr
    assert "Traceback" not in out.stderr
