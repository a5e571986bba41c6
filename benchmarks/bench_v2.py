"""Embed API v2 ``tasks.retrieve`` over loopback: one big answer, and many small ones.

Group "retrieve 600x512": a ready task with 600 ``data[]`` entries of 512 floats.
Group "retrieve x2000 @100": 2000 retrieves of a task still ``processing`` (what polling
costs), at most 100 in flight (an ``asyncio.Semaphore`` around ``gather`` for every client).

In each group: the floor (aiohttp GET + ``orjson.loads``, the baseline), this SDK's
``client.embed.v_2.tasks.retrieve`` (target: within 1.2x of the floor), and the official
``twelvelabs`` SDK 1.3.6 ``embed.v_2.tasks.retrieve`` (httpx + pydantic), interleaved
after a warm-up; medians.

    python -m benchmarks.bench_v2 [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import numpy as np
import orjson

from . import Report, Row
from ._server import API_KEY, LoopbackServer

NAME = "v2"
ENTRIES = 600
DIM = 512
BIG_ID = "6650aa00aa00aa00aa00a600"
SMALL_ID = "6650aa00aa00aa00aa00a001"
CONCURRENCY = 100
FLOOR = "floor: aiohttp + orjson.loads"


def v2_task_body(task_id: str, entries: int, dim: int, seed: int = 0) -> bytes:
    """A ``ready`` v2 task: ``entries`` clip vectors (8 decimals, like the platform)."""
    rng = np.random.default_rng(seed)
    vectors = np.round(rng.standard_normal((entries, dim)) * 0.05, 8).tolist()
    options = ("visual", "audio")
    data = [
        {
            "embedding": vec,
            "embedding_option": options[i % 2],
            "embedding_scope": "clip",
            "start_sec": float(6 * (i // 2)),
            "end_sec": float(6 * (i // 2) + 6),
        }
        for i, vec in enumerate(vectors)
    ]
    return orjson.dumps(
        {
            "_id": task_id,
            "status": "ready",
            "created_at": "2026-11-30T10:29:19.968Z",
            "updated_at": "2026-11-30T10:31:02.123Z",
            "data": data,
            "metadata": {
                "input_type": "video",
                "input_url": "https://example.com/long.mp4",
                "embedding_options": list(options),
                "embedding_scopes": ["clip"],
                "duration": 6.0 * entries / 2,
            },
        }
    )


def processing_body(task_id: str) -> bytes:
    return orjson.dumps(
        {
            "_id": task_id,
            "status": "processing",
            "created_at": "2026-11-30T10:29:19.968Z",
            "updated_at": "2026-11-30T10:29:19.968Z",
            "data": None,
        }
    )


async def _gather_limited(call: Callable[[], Awaitable[Any]], n: int, limit: int) -> None:
    gate = asyncio.Semaphore(limit)

    async def one() -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one() for _ in range(n)))


async def run(report: Report, quick: bool) -> None:
    os.environ.pop("TWELVELABS_BASE_URL", None)
    big = v2_task_body(BIG_ID, ENTRIES, DIM)
    calls = 200 if quick else 2000
    reps = 3 if quick else 7
    report.params.update(entries=ENTRIES, dim=DIM, body_bytes=len(big), calls=calls)

    from twelvelabs import AsyncTwelveLabs as OfficialAsync

    from twelvelabs_embed import AsyncTwelveLabs

    routes = {
        f"/v1.3/embed-v2/tasks/{BIG_ID}": big,
        f"/v1.3/embed-v2/tasks/{SMALL_ID}": processing_body(SMALL_ID),
    }
    with LoopbackServer(routes) as server:
        session = aiohttp.ClientSession(headers={"x-api-key": API_KEY})
        ours = AsyncTwelveLabs(API_KEY, base_url=server.api_url)
        official = OfficialAsync(api_key=API_KEY, base_url=server.api_url)

        async def raw(task_id: str) -> Any:
            async with session.get(f"{server.api_url}/embed-v2/tasks/{task_id}") as resp:
                resp.raise_for_status()
                return orjson.loads(await resp.read())

        async def ours_big() -> Any:
            task = await ours.embed.v_2.tasks.retrieve(BIG_ID)
            assert task.data is not None and len(task.data) == ENTRIES
            return task

        async def official_big() -> Any:
            task = await official.embed.v_2.tasks.retrieve(BIG_ID)
            assert task.data is not None and len(task.data) == ENTRIES
            return task

        def many(call: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
            return lambda: _gather_limited(call, calls, CONCURRENCY)

        g1, g2 = f"v2 retrieve {ENTRIES}x{DIM}", f"v2 retrieve x{calls} @{CONCURRENCY}"
        cases: list[tuple[Row, Callable[[], Awaitable[Any]]]] = [
            (Row(g1, FLOOR), lambda: raw(BIG_ID)),
            (Row(g1, "twelvelabs_embed v_2.tasks.retrieve", baseline=FLOOR, target=1.2), ours_big),
            (Row(g1, "official twelvelabs 1.3.6 v_2.tasks.retrieve", baseline=FLOOR), official_big),
            (Row(g2, FLOOR, per=calls), many(lambda: raw(SMALL_ID))),
            (Row(g2, "twelvelabs_embed v_2.tasks.retrieve", baseline=FLOOR, target=1.2, per=calls), many(lambda: ours.embed.v_2.tasks.retrieve(SMALL_ID))),
            (Row(g2, "official twelvelabs 1.3.6 v_2.tasks.retrieve", baseline=FLOOR, per=calls), many(lambda: official.embed.v_2.tasks.retrieve(SMALL_ID))),
        ]  # fmt: skip
        try:
            for _, fn in cases:  # warm-up: 100 connections, imports, model classes
                await fn()
            for _ in range(reps):
                for row, fn in cases:
                    gc.collect()
                    t0 = time.perf_counter()
                    await fn()
                    row.samples.append(time.perf_counter() - t0)
        finally:
            await session.close()
            await ours.close()
            await official._client_wrapper.httpx_client.httpx_client.aclose()

    for row, _ in cases:
        report.add(row)
    report.notes.append(
        f"bodies served pre-built from another process on 127.0.0.1 ({len(big) / 1e6:.1f} MB "
        f"for the big task); client and server share {os.cpu_count()} CPUs"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_v2")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    args = parser.parse_args(argv)
    report = Report(
        NAME, "Embed API v2 retrieve: one big answer, many small ones", quick=args.quick
    )
    asyncio.run(run(report, args.quick))
    report.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
