"""Bulk jobs: ``embed_many`` over 500 tasks that take 2 s each to process, against the ideal.

A loopback platform in its own process: every create takes ``CREATE_SEC`` (the upload and
the platform's answer), every task is ready ``PROCESS_SEC`` after its create, all tasks
process in parallel. Optionally a rate limit of ``LIMIT`` creates per ``WINDOW`` seconds
(fixed windows from the first create), answered with 429 + ``Retry-After`` and, in one case, with
``x-ratelimit-remaining``/``-reset`` on every create.

The ideal (the baseline row of each group) is the bound the job cannot beat:

* no limit: ``N * CREATE_SEC / concurrency + PROCESS_SEC`` (uploads bounded by concurrency,
  then the last task's processing);
* rate-limited: ``(ceil(N / LIMIT) - 1) * WINDOW + CREATE_SEC + PROCESS_SEC`` (the last
  window's creates, then processing), or the concurrency bound if larger.

Also timed in the same run, against the unlimited platform: the official ``twelvelabs``
SDK the way its users bulk-embed today: its ``create_bulk`` (one create after another),
then ``wait_for_done`` and ``retrieve`` for each task in turn. ``preflight=False`` for this SDK (the server does not decode
the uploads; both clients send the same bytes).

    python -m benchmarks.bench_bulk [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from . import Report, Row

NAME = "bulk"
PROCESS_SEC = 2.0
CREATE_SEC = 0.05
CONCURRENCY = 16
LIMIT, WINDOW = 50, 1.0
API_KEY = "tlk_bench"
PREFIX = "/v1.3"


# --- the platform (child process) -------------------------------------------------------


async def _serve(limit: int, headers: bool) -> None:
    from aiohttp import web

    created: dict[str, float] = {}
    accepted: list[float] = []
    stats = {"creates": 0, "limited": 0, "polls": 0}
    origin: list[float] = []  # windows start at the first create, so the bound is exact
    segs = [
        {
            "float": [0.01 * (i + 1)] * 512,
            "start_offset_sec": 6.0 * i,
            "end_offset_sec": 6.0 * (i + 1),
            "embedding_option": "visual",
            "embedding_scope": "clip",
        }
        for i in range(3)
    ]
    json_type = "application/json"

    async def create(request: web.Request) -> web.Response:
        await request.read()
        now = time.monotonic()
        extra: dict[str, str] = {}
        if limit:
            if not origin:
                origin.append(now)
            start = origin[0] + math.floor((now - origin[0]) / WINDOW) * WINDOW
            used = sum(1 for t in accepted[-limit:] if t >= start)
            left = start + WINDOW - now
            if headers:
                extra = {"x-ratelimit-remaining": str(max(0, limit - used - 1))}
                extra["x-ratelimit-reset"] = f"{left:.3f}"
            if used >= limit:
                stats["limited"] += 1
                extra["Retry-After"] = str(max(1, math.ceil(left)))
                body = b'{"code":"too_many_requests","message":"rate limit"}'
                return web.Response(status=429, body=body, content_type=json_type, headers=extra)
            accepted.append(now)
        await asyncio.sleep(CREATE_SEC)
        stats["creates"] += 1
        task_id = os.urandom(12).hex()
        created[task_id] = time.monotonic()
        return web.Response(
            body=b'{"_id":"%s"}' % task_id.encode(), content_type=json_type, headers=extra
        )

    def _task(task_id: str, with_segments: bool) -> web.Response:
        started = created.get(task_id)
        if started is None:
            return web.Response(
                status=404, body=b'{"code":"resource_not_exist"}', content_type=json_type
            )
        ready = time.monotonic() - started >= PROCESS_SEC
        body: dict[str, Any] = {
            "_id": task_id,
            "model_name": "marengo3.0",
            "status": "ready" if ready else "processing",
            "video_embedding": {"metadata": {"input_filename": "v.mp4", "duration": 18.0}},
        }
        if with_segments and ready:
            body["video_embedding"]["segments"] = segs
        return web.Response(body=orjson.dumps(body), content_type=json_type)

    async def status(request: web.Request) -> web.Response:
        stats["polls"] += 1
        return _task(request.match_info["task_id"], False)

    async def retrieve(request: web.Request) -> web.Response:
        return _task(request.match_info["task_id"], True)

    async def listing(request: web.Request) -> web.Response:
        return web.Response(
            body=b'{"data":[],"page_info":{"total_page":1}}', content_type=json_type
        )

    async def get_stats(request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(stats), content_type=json_type)

    app = web.Application(client_max_size=1 << 30)
    app.router.add_post(f"{PREFIX}/embed/tasks", create)
    app.router.add_get(f"{PREFIX}/embed/tasks", listing)
    app.router.add_get(f"{PREFIX}/embed/tasks/{{task_id}}/status", status)
    app.router.add_get(f"{PREFIX}/embed/tasks/{{task_id}}", retrieve)
    app.router.add_get("/stats", get_stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_reader(sys.stdin.fileno(), stop.set)
    await stop.wait()
    await runner.cleanup()


class Platform:
    """``with Platform(limit, headers) as base_url:`` runs the server in a child process."""

    def __init__(self, limit: int = 0, headers: bool = False) -> None:
        self.args = [str(limit), "1" if headers else "0"]

    def __enter__(self) -> Platform:
        cmd = [sys.executable, "-m", "benchmarks.bench_bulk", "--serve", *self.args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        port = int(self.proc.stdout.readline())
        self.base_url = f"http://127.0.0.1:{port}{PREFIX}"
        return self

    def stats(self) -> dict[str, int]:
        import urllib.request

        url = self.base_url.removesuffix(PREFIX) + "/stats"
        with urllib.request.urlopen(url) as resp:
            data: dict[str, int] = orjson.loads(resp.read())
            return data

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


# --- the clients --------------------------------------------------------------------------


async def run_job(base_url: str, files: list[Path], folder: Path) -> tuple[float, int]:
    from twelvelabs_embed import AsyncTwelveLabs

    journal = folder / "job.db"
    journal.unlink(missing_ok=True)
    async with AsyncTwelveLabs(API_KEY, base_url=base_url, preflight=False) as client:
        t0 = time.perf_counter()
        results = await client.embed.tasks.embed_many(
            files,
            journal=journal,
            out=folder / "out.npz",
            concurrency=CONCURRENCY,
            poll_interval=0.5,
        )
        took = time.perf_counter() - t0
    failed = [r for r in results if not r.ok]
    assert not failed, failed[0].error_message
    return took, sum(r.segments for r in results)


def run_official_sequential(base_url: str, files: list[Path]) -> float:
    from twelvelabs import TwelveLabs

    client = TwelveLabs(api_key=API_KEY, base_url=base_url)
    t0 = time.perf_counter()
    handles = [open(path, "rb") for path in files]  # noqa: SIM115 - closed below
    try:
        # the official helper: one create after another (failures printed and dropped)
        created = client.embed.tasks.create_bulk(
            model_name="marengo3.0",  # type: ignore[arg-type]
            videos=[{"video_file": f} for f in handles],
        )
    finally:
        for f in handles:
            f.close()
    assert len(created) == len(files), "the official create_bulk dropped inputs"
    for task in created:
        client.embed.tasks.wait_for_done(task.id, sleep_interval=0.5)
        client.embed.tasks.retrieve(task.id)
    return time.perf_counter() - t0


def ideal(n: int, limit: int) -> float:
    bound = n * CREATE_SEC / CONCURRENCY
    if limit:
        bound = max(bound, (math.ceil(n / limit) - 1) * WINDOW + CREATE_SEC)
    return bound + PROCESS_SEC


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_bulk")
    parser.add_argument("--quick", action="store_true", help="100 tasks instead of 500")
    parser.add_argument("--serve", nargs=2, metavar=("LIMIT", "HEADERS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve(int(args.serve[0]), args.serve[1] == "1"))
        return 0
    n = 100 if args.quick else 500
    report = Report(
        NAME, f"bulk jobs: {n} tasks, {PROCESS_SEC:g} s processing each", quick=args.quick
    )
    report.params.update(
        tasks=n, process_sec=PROCESS_SEC, create_sec=CREATE_SEC, concurrency=CONCURRENCY,
        limit_per_window=LIMIT, window_sec=WINDOW,
    )  # fmt: skip
    from tests.videos import make_video

    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as tmp:
        folder = Path(tmp)
        video = make_video(folder / "src.mp4", width=360, height=360, duration=4.2, fps=5)
        files = []
        for i in range(n):
            files.append(folder / f"v{i:04d}.mp4")
            os.link(video, files[-1])
        for group, limit, headers, label in (
            ("no limit", 0, False, "embed_many"),
            ("rate-limited", LIMIT, False, "embed_many, Retry-After only"),
            ("rate-limited", LIMIT, True, "embed_many, x-ratelimit headers"),
        ):
            if report._find(group, "ideal") is None:
                report.add(Row(group, "ideal", [ideal(n, limit)], per=n))
            with Platform(limit, headers) as platform:
                took, rows = asyncio.run(run_job(platform.base_url, files, folder))
                stats = platform.stats()
            assert stats["creates"] == n, stats
            report.add(
                Row(group, label, [took], baseline="ideal", per=n,
                    extra={"429s": stats["limited"], "creates": stats["creates"], "rows": rows,
                           "polls/task": round(stats["polls"] / n, 2)})
            )  # fmt: skip
        with Platform() as platform:
            took = run_official_sequential(platform.base_url, files)
            stats = platform.stats()
        report.add(
            Row("no limit", "official SDK: create_bulk, then wait_for_done + retrieve each", [took], baseline="ideal",
                per=n, extra={"429s": 0, "creates": stats["creates"], "rows": 3 * n,
                              "polls/task": round(stats["polls"] / n, 2)})
        )  # fmt: skip
    report.notes.append(
        "ideal = the concurrency bound (uploads) or the rate-limit bound, plus one task's processing"
    )
    report.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
