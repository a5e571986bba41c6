"""Claim: the Ray executor costs little next to a decode-and-embed job, and its cluster start-up
and idle memory are the price of reaching past one machine.

The same 40 short videos (480x360, 5 s, 8 fps, with audio) go through, in one run:

- the local process pool with 1 and with 2 workers (the baselines);
- Ray with one node (1 CPU) and with two nodes (1 CPU each), both on this machine
  (``ray.cluster_utils.Cluster``, no dashboard, ``RAY_AUTH_MODE=disabled``).

Per configuration: start-up (pool or cluster up, connected, first job answered), per-job
overhead (a no-op job's round trip, sequential, median), throughput (40 videos with as many
jobs in flight as there are workers/CPUs; median of the repetitions), and the idle memory of
everything the configuration started (RSS of this process's descendants). Ray with one node
is divided by the pool with one worker, Ray with two nodes by the pool with two.

The pool's workers use one compute thread each (the engine's default since issue 18);
``--pool-threads cores`` sets ``OMP_NUM_THREADS`` to the core count instead (the libraries'
own default, as before), and ``--no-ray`` measures the pool rows only (no ``ray`` extra).

    python -m benchmarks.bench_ray [--videos 40] [--runs 3] [--quick] [--no-ray]
        [--pool-threads engine|cores]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
NAME = "ray"
sys.path.insert(0, str(ROOT))

from benchmarks import Report, Row  # noqa: E402
from tests.videos import make_video  # noqa: E402
from twelvelabs_embed.local.executors.base import MediaExecutor  # noqa: E402
from twelvelabs_embed.local.executors.factory import WORKER_PRELOAD  # noqa: E402
from twelvelabs_embed.local.executors.process_pool import ProcessPoolMediaExecutor  # noqa: E402
from twelvelabs_embed.local.media.task_job import JobSpec, embed_task  # noqa: E402

RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
NODE = {"num_cpus": 1, "object_store_memory": 128 << 20}


def descendants_rss_mb() -> float:
    """Resident memory of every process this one started (pool workers, Ray's daemons and
    workers), in MiB."""
    total = 0
    for p in psutil.Process().children(recursive=True):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / (1 << 20)


async def per_job_overhead(executor: MediaExecutor, calls: int) -> list[float]:
    """Round trips of a job that does nothing, one at a time (seconds each)."""
    out = []
    for _ in range(calls):
        t = time.perf_counter()
        await executor.run(os.getpid)
        out.append(time.perf_counter() - t)
    return out


async def throughput(executor: MediaExecutor, specs: list[JobSpec], parallel: int) -> float:
    """Seconds for every video, ``parallel`` jobs in flight (the engine's ``workers``)."""
    gate = asyncio.Semaphore(parallel)

    async def one(spec: JobSpec) -> None:
        async with gate:
            await executor.run(embed_task, spec)

    t = time.perf_counter()
    await asyncio.gather(*(one(s) for s in specs))
    return time.perf_counter() - t


COLD_POOL = "local pool, 1 worker"
"""The first pool also starts the fork server: the fair start-up baseline for a cluster."""


async def measure(
    report: Report,
    case: str,
    baseline: str | None,
    start: Callable[[], Awaitable[tuple[MediaExecutor, Callable[[], Awaitable[None]]]]],
    specs: list[JobSpec],
    parallel: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    t = time.perf_counter()
    executor, stop = await start()
    await executor.run(os.getpid)
    started = time.perf_counter() - t
    try:
        await throughput(executor, specs[: parallel * 2], parallel)  # warm every worker
        overhead = await per_job_overhead(executor, args.calls)
        runs = [await throughput(executor, specs, parallel) for _ in range(args.runs)]
        idle_mb = descendants_rss_mb()
        stats = getattr(executor, "stats", None)
        where = stats()["nodes"] if stats else None
    finally:
        await stop()
    n = len(specs)
    extra = {"videos/s": f"{n / statistics.median(runs):.2f}"}
    report.add(Row(f"throughput: {n} videos", case, runs, baseline=baseline, extra=extra))
    report.add(Row("per-job overhead (no-op round trip)", case, overhead, baseline=baseline))
    report.add(
        Row("start-up (ready, first job answered)", case, [started],
            baseline=None if case == COLD_POOL else COLD_POOL)
    )  # fmt: skip
    mem = report.add(
        Row("idle memory (RSS of started processes)", case, [idle_mb / 1000], baseline=baseline)
    )
    mem.extra["MiB"] = f"{idle_mb:.0f}"
    if where is not None:
        jobs_per_node = sorted(node["jobs"] for node in where.values())
        report.notes.append(f"{case}: jobs per Ray node {jobs_per_node}")
    return {"started": started, "idle_mb": idle_mb}


def pool_starter(workers: int) -> Callable[[], Awaitable[tuple[MediaExecutor, Any]]]:
    async def start() -> tuple[MediaExecutor, Any]:
        pool = ProcessPoolMediaExecutor(workers, preload=WORKER_PRELOAD)
        return pool, pool.aclose

    return start


def ray_starter(nodes: int, temp: str) -> Callable[[], Awaitable[tuple[MediaExecutor, Any]]]:
    async def start() -> tuple[MediaExecutor, Any]:
        import ray
        from ray.cluster_utils import Cluster

        from twelvelabs_embed.local.executors.ray import NAMESPACE, RayMediaExecutor, RayOptions

        def up() -> Any:
            cluster = Cluster(
                initialize_head=True,
                head_node_args={**NODE, "include_dashboard": False, "temp_dir": temp},
            )
            for _ in range(nodes - 1):
                cluster.add_node(**NODE)
            cluster.wait_for_nodes()
            ray.init(address=cluster.address, namespace=NAMESPACE, log_to_driver=False)
            return cluster

        cluster = up()  # Cluster() installs signal handlers: main thread only
        executor = await RayMediaExecutor.connect(
            RayOptions(address=cluster.address, max_in_flight=nodes)
        )

        async def stop() -> None:
            await executor.aclose()
            ray.shutdown()
            cluster.shutdown()

        return executor, stop

    return start


async def run(args: argparse.Namespace, work: Path) -> None:
    n = 10 if args.quick else args.videos
    videos = []
    for i in range(n):
        path = work / f"v{i:02d}.mp4"
        if not path.exists():
            make_video(path, width=480, height=360, duration=5.0, fps=8, audio=True, seed=i)
        videos.append(path)
    specs = [JobSpec(str(v), "marengo3.0", None, None, None, ("clip", "video")) for v in videos]
    report = Report(NAME, "the Ray executor against the local process pool", quick=args.quick)
    report.params = {"videos": n, "runs": args.runs, "calls": args.calls}
    os.environ.update(RAY_ENV)
    if args.pool_threads == "cores":  # before the fork server starts: its workers inherit it
        os.environ["OMP_NUM_THREADS"] = str(os.cpu_count() or 1)
    report.params["pool_threads"] = args.pool_threads
    os.makedirs("/tmp/ray", exist_ok=True)  # cluster_utils writes ray_current_cluster there
    temp = tempfile.mkdtemp(prefix="rb", dir="/tmp")
    try:
        await measure(report, "local pool, 1 worker", None, pool_starter(1), specs, 1, args)
        await measure(report, "local pool, 2 workers", None, pool_starter(2), specs, 2, args)
        if not args.no_ray:
            await measure(report, "Ray, 1 node x 1 CPU", "local pool, 1 worker",
                          ray_starter(1, temp), specs, 1, args)  # fmt: skip
            await measure(report, "Ray, 2 nodes x 1 CPU", "local pool, 2 workers",
                          ray_starter(2, temp), specs, 2, args)  # fmt: skip
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    report.notes += [
        "Ray rows are divided by the pool with the same parallelism (1 node by 1 worker, "
        "2 nodes by 2 workers); every configuration shares this machine's 2 cores",
        "start-up rows are divided by the first pool (fork server + worker); a second pool "
        "reuses the fork server",
        f"pool workers' compute threads: {args.pool_threads} (engine: 1 unless the user set "
        "OMP_NUM_THREADS & co.; Ray sets 1 for a 1-CPU task)",
        "idle memory: RSS summed over this process's descendants after the runs (pool: "
        "fork server + workers; Ray: gcs_server, raylets, their helpers and idle workers)",
    ]
    report.finish()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_ray")
    ap.add_argument("--videos", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3, help="throughput repetitions (median)")
    ap.add_argument("--calls", type=int, default=100, help="no-op round trips for the overhead")
    ap.add_argument("--workdir", help="keep and reuse the made videos here")
    ap.add_argument(
        "--pool-threads",
        choices=("engine", "cores"),
        default="engine",
        help="the pool workers' compute threads: as the engine ships (1), or one per core",
    )
    ap.add_argument("--no-ray", action="store_true", help="the local pool rows only")
    ap.add_argument("--quick", action="store_true", help="10 videos, one run (smoke)")
    args = ap.parse_args(argv)
    if args.quick:
        args.runs, args.calls = 1, 20
    tmp = None if args.workdir else tempfile.TemporaryDirectory()
    work = Path(args.workdir or tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(run(args, work))
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
