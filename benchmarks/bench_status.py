"""``status`` calls over loopback: many at once (async) and one after another (sync).

Group "concurrent": ``CALLS`` calls, at most 100 in flight (an ``asyncio.Semaphore``
around ``gather``, the same pattern for every client):

* floor: aiohttp ``ClientSession`` GET + ``orjson.loads`` (the baseline);
* this SDK's ``AsyncTwelveLabs`` (target: within 1.5x of the floor);
* the official SDK's ``AsyncTwelveLabs`` (httpx).

Group "sequential": ``CALLS`` calls, one after another:

* floor: the same aiohttp GET + ``orjson.loads``, awaited one by one (the baseline);
* this SDK's sync ``TwelveLabs`` (target: within 1.5x of the floor); skipped with a note
  while ``from twelvelabs_embed import TwelveLabs`` fails;
* this SDK's ``AsyncTwelveLabs`` awaited one by one (what the sync client wraps);
* the official SDK's sync ``TwelveLabs`` and a plain ``httpx.Client`` (for reference).

    python -m benchmarks.bench_status [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import httpx
import orjson

from . import Report, Row
from ._server import API_KEY, LoopbackServer, status_body

NAME = "status"
TASK_ID = "task_status"
CONCURRENCY = 100
FLOOR = "floor: aiohttp + orjson.loads"


def _load_sync_client() -> tuple[Any, str | None]:
    """Our sync client class, or ``None`` and the reason it is not there yet."""
    try:
        from twelvelabs_embed import TwelveLabs  # type: ignore[attr-defined]
    except ImportError as exc:
        return None, f"sync client not available yet ({exc})"
    return TwelveLabs, None


async def _gather_limited(call: Callable[[], Any], n: int, limit: int) -> None:
    gate = asyncio.Semaphore(limit)

    async def one() -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one() for _ in range(n)))


def run(report: Report, quick: bool) -> None:
    os.environ.pop("TWELVELABS_BASE_URL", None)
    calls = 200 if quick else 2000
    reps = 3 if quick else 5
    report.params.update(calls=calls, concurrency=CONCURRENCY, repetitions=reps)
    conc = f"status x{calls} @{CONCURRENCY} concurrent (async)"
    seq = f"status x{calls} sequential"

    from twelvelabs import AsyncTwelveLabs as OfficialAsync
    from twelvelabs import TwelveLabs as OfficialSync

    from twelvelabs_embed import AsyncTwelveLabs

    SyncClient, sync_missing = _load_sync_client()

    with LoopbackServer({f"/v1.3/embed/tasks/{TASK_ID}/status": status_body(TASK_ID)}) as server:
        url = f"{server.api_url}/embed/tasks/{TASK_ID}/status"
        with asyncio.Runner() as runner:

            async def setup() -> tuple[Any, Any, Any]:
                return (
                    aiohttp.ClientSession(headers={"x-api-key": API_KEY}),
                    AsyncTwelveLabs(API_KEY, base_url=server.api_url),
                    OfficialAsync(api_key=API_KEY, base_url=server.api_url),
                )

            session, ours, official = runner.run(setup())
            official_sync = OfficialSync(api_key=API_KEY, base_url=server.api_url)
            plain_httpx = httpx.Client(headers={"x-api-key": API_KEY})
            ours_sync = None
            if SyncClient is not None:
                try:
                    ours_sync = SyncClient(API_KEY, base_url=server.api_url)
                except Exception as exc:  # an unfinished sync client must not stop the run
                    sync_missing = f"sync client failed to start: {exc!r}"

            async def raw_call() -> Any:
                async with session.get(url) as resp:
                    resp.raise_for_status()
                    return orjson.loads(await resp.read())

            async def ours_call() -> Any:
                return await ours.embed.tasks.status(TASK_ID)

            async def official_call() -> Any:
                return await official.embed.tasks.status(TASK_ID)

            def concurrent(call: Callable[[], Any]) -> Callable[[], None]:
                return lambda: runner.run(_gather_limited(call, calls, CONCURRENCY))

            def sequential_async(call: Callable[[], Any]) -> Callable[[], None]:
                async def loop() -> None:
                    for _ in range(calls):
                        await call()

                return lambda: runner.run(loop())

            def sequential_sync(call: Callable[[], Any]) -> Callable[[], None]:
                def loop() -> None:
                    for _ in range(calls):
                        call()

                return loop

            def httpx_call() -> Any:
                resp = plain_httpx.get(url)
                resp.raise_for_status()
                return resp.json()

            cases: list[tuple[Row, Callable[[], None] | None]] = [
                (Row(conc, FLOOR, per=calls), concurrent(raw_call)),
                (Row(conc, "twelvelabs_embed AsyncTwelveLabs", baseline=FLOOR, target=1.5, per=calls), concurrent(ours_call)),
                (Row(conc, "official AsyncTwelveLabs (httpx)", baseline=FLOOR, per=calls), concurrent(official_call)),
                (Row(seq, FLOOR, per=calls), sequential_async(raw_call)),
                (Row(seq, "twelvelabs_embed TwelveLabs (sync)", baseline=FLOOR, target=1.5, per=calls, skipped=sync_missing),
                 sequential_sync(lambda: ours_sync.embed.tasks.status(TASK_ID)) if ours_sync else None),
                (Row(seq, "twelvelabs_embed AsyncTwelveLabs, awaited in turn", baseline=FLOOR, per=calls), sequential_async(ours_call)),
                (Row(seq, "official TwelveLabs (sync, httpx)", baseline=FLOOR, per=calls), sequential_sync(lambda: official_sync.embed.tasks.status(TASK_ID))),
                (Row(seq, "plain httpx.Client GET + .json()", baseline=FLOOR, per=calls), sequential_sync(httpx_call)),
            ]  # fmt: skip
            try:
                # Warm-up: 100 open connections, lazy imports, model classes.
                runner.run(_gather_limited(raw_call, CONCURRENCY, CONCURRENCY))
                runner.run(_gather_limited(ours_call, CONCURRENCY, CONCURRENCY))
                runner.run(_gather_limited(official_call, CONCURRENCY, CONCURRENCY))
                for _ in range(20):
                    httpx_call()
                    official_sync.embed.tasks.status(TASK_ID)
                    if ours_sync is not None:
                        ours_sync.embed.tasks.status(TASK_ID)
                for _ in range(reps):
                    for row, fn in cases:
                        if fn is None:
                            continue
                        gc.collect()
                        t0 = time.perf_counter()
                        fn()
                        row.samples.append(time.perf_counter() - t0)
            finally:
                if ours_sync is not None:
                    ours_sync.close()
                plain_httpx.close()
                official_sync._client_wrapper.httpx_client.httpx_client.close()

                async def teardown() -> None:
                    await session.close()
                    await ours.close()
                    await official._client_wrapper.httpx_client.httpx_client.aclose()

                runner.run(teardown())

    for row, _ in cases:
        report.add(row)
    report.notes.append(
        "status body served pre-built from another process on 127.0.0.1; client and server "
        f"share {os.cpu_count()} CPUs, so client-side cost shows in every figure"
    )
    if sync_missing:
        report.notes.append(f"sync row skipped: {sync_missing}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_status")
    parser.add_argument("--quick", action="store_true", help="fewer calls (smoke run)")
    args = parser.parse_args(argv)
    report = Report(NAME, "status: concurrent async and sequential calls", quick=args.quick)
    run(report, args.quick)
    report.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
