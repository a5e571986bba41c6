"""The Ray executor against a real two-node cluster: placement, parity, crashes, time limits."""

from __future__ import annotations

import asyncio
import http.server
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray", reason="the ray extra is not installed")

from tests.videos import make_audio_only, make_image
from twelvelabs_embed.local.executors.base import WorkerCrashed, WorkerTimedOut
from twelvelabs_embed.local.executors.process_pool import ProcessPoolMediaExecutor
from twelvelabs_embed.local.executors.ray import RayMediaExecutor, RayOptions
from twelvelabs_embed.local.executors.ray_task import scratch_root
from twelvelabs_embed.local.media.task_job import JobRefused, JobResult, JobSpec, embed_task
from twelvelabs_embed.local.media.v1_sync import V1SyncSpec, embed_v1_sync
from twelvelabs_embed.local.media.v2_vectors import AvSpec, CombinedSpec, combined_vector

from . import jobs
from .conftest import TwoNodes

pytestmark = [pytest.mark.ray, pytest.mark.timeout(180)]


@pytest.fixture
async def executor(cluster: TwoNodes) -> AsyncIterator[RayMediaExecutor]:
    ex = await RayMediaExecutor.connect(RayOptions(address=cluster.address, max_in_flight=4))
    yield ex
    await ex.aclose()


def spec(path: Path) -> JobSpec:
    return JobSpec(str(path), "marengo3.0", None, None, None, ("clip", "video"))


def assert_same_results(got: list[JobResult], want: list[JobResult]) -> None:
    """Same durations, options, segments and offsets; vectors equal to float32 rounding.

    Ray starts a one-CPU task with ``OMP_NUM_THREADS=1``, and a BLAS sum split over fewer
    threads rounds differently in the last bit (about 1e-8 here), so bytes may differ.
    """
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (g.duration, g.options) == (w.duration, w.options)
        assert [s[:4] for s in g.segments] == [s[:4] for s in w.segments]
        a = np.stack([np.frombuffer(s[4], "<f4") for s in g.segments])
        b = np.stack([np.frombuffer(s[4], "<f4") for s in w.segments])
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


async def until(condition: Callable[[], object], what: str, limit_sec: float = 60.0) -> None:
    """Poll ``condition`` (a file a job writes, a pid that goes away) for at most ``limit_sec``."""
    for _ in range(int(limit_sec / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def wait_for_files(folder: Path, count: int) -> None:
    await until(lambda: len(list(folder.iterdir())) >= count, f"{count} jobs reported in")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def wait_gone(pid: int) -> None:
    await until(lambda: gone(pid), f"worker {pid} exited")


async def test_jobs_run_on_both_nodes_and_match_the_local_pool(
    executor: RayMediaExecutor, cluster: TwoNodes, media: dict[str, Path], short_tmp: Path
) -> None:
    # Two jobs that only return once both are running: with one CPU per node, that needs
    # both nodes.
    placed = await asyncio.gather(
        *(executor.run(jobs.rendezvous, str(short_tmp), n, 2) for n in ("a", "b"))
    )
    assert {node for node, _ in placed} == cluster.node_ids()
    assert len(cluster.node_ids()) == 2

    names = ["good", "good2", "bunny", "good"]
    on_ray = await asyncio.gather(*(executor.run(embed_task, spec(media[n])) for n in names))
    pool = ProcessPoolMediaExecutor(1)
    try:
        local = [await pool.run(embed_task, spec(media[n])) for n in names]
    finally:
        await pool.aclose()
    assert_same_results(on_ray, local)

    stats = executor.stats()
    assert stats["jobs"] == 6 and stats["videos_by"] == {"bytes": 4}
    assert set(stats["nodes"]) == cluster.node_ids()
    workers = [w for n in stats["nodes"].values() for w in n["workers"].values()]
    assert sum(w["jobs"] for w in workers) == 6
    # The encoder is built once per worker process, not once per job.
    assert all(w["encoder_loads"] <= 1 for w in workers)
    assert sum(w["encoder_loads"] for w in workers) < 4


async def test_a_job_that_kills_its_worker_once_succeeds_on_the_retry(
    executor: RayMediaExecutor, short_tmp: Path
) -> None:
    marker = short_tmp / "crashed"
    pid = await executor.run(jobs.crash_once, str(marker))
    first = int(marker.read_text())
    assert pid != first and gone(first)
    assert executor.crashes == 0


async def test_a_job_that_always_crashes_fails_as_the_pool_does(executor: RayMediaExecutor) -> None:
    with pytest.raises(WorkerCrashed, match="the worker process died") as info:
        await executor.run(jobs.crash_always)
    assert type(info.value) is WorkerCrashed  # not a time-out
    assert executor.crashes == 1
    assert (await executor.run(jobs.where))[1] > 0  # and the next job runs


async def test_a_job_error_passes_through_unchanged(executor: RayMediaExecutor) -> None:
    with pytest.raises(JobRefused) as info:
        await executor.run(jobs.refuse, "video_file_broken", "cannot decode")
    assert type(info.value) is JobRefused
    assert (info.value.code, info.value.message) == ("video_file_broken", "cannot decode")


async def test_a_hung_job_is_killed_at_its_limit_like_the_pools(
    executor: RayMediaExecutor, short_tmp: Path
) -> None:
    await executor.run(jobs.where)  # a warm worker: the limit is spent in the job
    pid_file = short_tmp / "pid"
    pool = ProcessPoolMediaExecutor(1)
    try:
        ray_err, pool_err = await asyncio.gather(
            executor.run(jobs.hang, str(pid_file), timeout=4.0),
            pool.run(jobs.hang, str(short_tmp / "pool-pid"), timeout=4.0),
            return_exceptions=True,
        )
    finally:
        await pool.aclose()
    assert isinstance(ray_err, WorkerTimedOut) and isinstance(pool_err, WorkerTimedOut)
    assert str(ray_err) == str(pool_err) == "the job did not finish within 4 s"
    await wait_gone(int(pid_file.read_text()))  # ray.cancel(force=True) killed the worker
    assert executor.timeouts == 1 and executor.stats()["in_flight"] == 0
    assert (await executor.run(jobs.where))[1] > 0


async def test_jobs_in_flight_never_exceed_the_cluster_cpus_or_the_bound(
    cluster: TwoNodes, short_tmp: Path
) -> None:
    started, release = short_tmp / "started", short_tmp / "release"
    started.mkdir()
    for bound, expect in ((10, 2), (1, 1)):  # 2 CPUs in the cluster
        ex = await RayMediaExecutor.connect(
            RayOptions(address=cluster.address, max_in_flight=bound)
        )
        try:
            runs = [
                asyncio.create_task(ex.run(jobs.hold, str(started), f"{bound}-{i}", str(release)))
                for i in range(3)
            ]
            await wait_for_files(started, expect)
            # The others wait in the executor, not in Ray's queue, so their time limits
            # have not started.
            assert ex.stats()["in_flight"] == expect
            release.touch()
            await asyncio.gather(*runs)
            assert ex.jobs == 3
        finally:
            await ex.aclose()
        release.unlink()
        for f in started.iterdir():
            f.unlink()


async def test_close_kills_the_jobs_in_flight(cluster: TwoNodes, short_tmp: Path) -> None:
    ex = await RayMediaExecutor.connect(RayOptions(address=cluster.address))
    pid_file = short_tmp / "pid"
    run = asyncio.create_task(ex.run(jobs.hang, str(pid_file)))
    await until(lambda: pid_file.exists() and pid_file.read_text(), "the job started")
    await ex.aclose()
    await wait_gone(int(pid_file.read_text()))
    with pytest.raises(WorkerCrashed):  # the engine leaves such a task `processing`
        await run


async def test_videos_of_killed_workers_are_swept_from_the_scratch_dir(
    executor: RayMediaExecutor, media: dict[str, Path]
) -> None:
    """A job killed at its time limit leaves its video behind; the next job removes it."""
    finished = await asyncio.create_subprocess_exec("true")  # a pid that has just exited
    await finished.wait()
    left = scratch_root() / str(finished.pid)
    left.mkdir(parents=True, exist_ok=True)
    (left / "video-left.mp4").write_bytes(b"from a killed job")
    assert await executor.run(embed_task, spec(media["good"]))
    assert not left.exists()
    assert all(not list(d.iterdir()) for d in scratch_root().iterdir())  # none in use now


async def test_every_media_file_of_a_spec_reaches_the_worker(
    cluster: TwoNodes, media: dict[str, Path], short_tmp: Path
) -> None:
    """v1 sync (image + audio) and v2 combined (images + a video) jobs name several files;
    each one travels (here: small ones as bytes, the video through the shared directory)."""
    image = make_image(short_tmp / "still.png", width=480, height=360)
    audio = make_audio_only(short_tmp / "tone.m4a", 5.0)
    v1 = V1SyncSpec("marengo3.0", text="a red bus", image_path=str(image), audio_path=str(audio))
    video = AvSpec(str(media["bunny"]), "video", "marengo3.0", "async", None, None, "fixed",
                   6.0, ("visual", "audio"), ("asset",), True, False, 512)  # fmt: skip
    v2 = CombinedSpec("marengo3.0", 512, text="a red bus", images=(str(image),), media=(video,))
    shared = short_tmp / "shared"
    ex = await RayMediaExecutor.connect(
        RayOptions(
            address=cluster.address,
            inline_max_bytes=media["bunny"].stat().st_size - 1,
            shared_dir=shared,
        )
    )
    try:
        got, want = await ex.run(embed_v1_sync, v1), embed_v1_sync(v1)
        assert [a[:2] for a in got.audio] == [a[:2] for a in want.audio]
        for g, w in [(got.text, want.text), (got.image, want.image)] + [
            (g[2], w[2]) for g, w in zip(got.audio, want.audio, strict=True)
        ]:
            assert g is not None and w is not None
            np.testing.assert_allclose(np.frombuffer(g, "<f4"), np.frombuffer(w, "<f4"), atol=1e-6)
        np.testing.assert_allclose(
            np.frombuffer(await ex.run(combined_vector, v2), "<f4"),
            np.frombuffer(combined_vector(v2), "<f4"),
            rtol=0,
            atol=1e-6,
        )
        assert ex.stats()["videos_by"] == {"bytes": 3, "path": 1}
    finally:
        await ex.aclose()
    assert list(shared.iterdir()) == []


@pytest.fixture
def shared_http(short_tmp: Path) -> Iterator[str]:
    """The shared directory served over loopback HTTP, as a shared root URL."""
    shared = short_tmp / "shared"
    shared.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(shared))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("mode", ["path", "url"])
async def test_large_videos_go_through_the_shared_root(
    cluster: TwoNodes,
    media: dict[str, Path],
    short_tmp: Path,
    shared_http: str,
    mode: str,
) -> None:
    shared = short_tmp / "shared"
    (shared / "tlray-stale.mp4").write_bytes(b"left by a killed engine")
    ex = await RayMediaExecutor.connect(
        RayOptions(
            address=cluster.address,
            inline_max_bytes=media["good"].stat().st_size,
            shared_dir=shared,
            shared_url=shared_http if mode == "url" else None,
        )
    )
    try:
        assert list(shared.iterdir()) == []  # stale copies are swept at start
        small, big = await asyncio.gather(
            ex.run(embed_task, spec(media["good"])), ex.run(embed_task, spec(media["bunny"]))
        )
        assert_same_results(
            [small, big], [embed_task(spec(media["good"])), embed_task(spec(media["bunny"]))]
        )
        assert ex.stats()["videos_by"] == {"bytes": 1, mode: 1}
        assert list(shared.iterdir()) == []  # the copy is removed after the job
    finally:
        await ex.aclose()
