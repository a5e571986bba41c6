"""Claim: the engine's store answers as fast with 100,000 tasks as with 100.

Two stores, seeded with SQL in the store's own schema (the engine's ``TaskStore`` creates
it): a small one (100 tasks: the baseline) and a full one (``--tasks``, default 100,000;
90% ``ready`` with ``--segments`` 512-d segment rows each, default 20, so about two million
rows; 10% ``failed``), created over the last six days. On each, interleaved, median
seconds per call through ``TaskStore``:

* ``get`` (what ``status`` reads) and ``segments`` (what ``retrieve`` reads) of a random
  task (cold pages of a large file) and of one of the 100 newest (what clients poll);
* ``list_page``: first and last page of 10, unfiltered, by status ``failed``, by a one-day
  ``created`` range (a sixth of either store: its total is counted row by row), and by a
  range holding about 17 tasks in either store;
* ``insert`` (the row ``create`` writes);
* start-up: ``LocalEngine`` start (retention purge, the ``processing`` scan, the media
  sweep) and close.

Goal (issue 18): every call within 1.2x of the small store's. Also printed: the database
size per task, and what the retention purge of one day's tasks frees.

    python -m benchmarks.bench_store_scale [--tasks N] [--segments N] [--workdir DIR] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NAME = "store_scale"
sys.path.insert(0, str(ROOT))

from benchmarks import Report, Row  # noqa: E402
from twelvelabs_embed.local.engine import LocalEngine  # noqa: E402
from twelvelabs_embed.local.store import TaskRecord, TaskStore  # noqa: E402

DAY_MS = 86_400_000
DIM = 512
GOAL = 1.2


def task_id(i: int) -> str:
    return f"{0x65000000 + i:08x}{i:016x}"


async def seed(path: Path, n: int, segments: int, now_ms: int) -> None:
    """``n`` tasks over the last six days, through SQL in the schema ``TaskStore`` made."""
    store = TaskStore(path)
    await store.open()
    await store.close()
    rng = random.Random(n)
    vector = bytes(DIM * 4)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    matrix = "task_vectors" in tables  # the store keeps a task's vectors as one matrix
    conn.execute("BEGIN")
    span = 6 * DAY_MS
    for i in range(n):
        created = now_ms - span + (span * i) // n
        ready = rng.random() < 0.9
        conn.execute(
            "INSERT INTO tasks (id, model_name, status, created_ms, updated_ms, input_filename,"
            " scopes, options, duration, error_code, error_message)"
            " VALUES (?, 'marengo3.0', ?, ?, ?, 'clip.mp4', 'clip,video', ?, 60.0, ?, ?)",
            (
                task_id(i),
                "ready" if ready else "failed",
                created,
                created + 2000,
                "visual,audio" if ready else None,
                None if ready else "video_file_broken",
                None if ready else "Cannot read video file.",
            ),
        )
        if ready and matrix:
            rows = [
                (task_id(i), s, s * 6.0, s * 6.0 + 6.0, ("visual", "audio")[s % 2], "clip", b"")
                for s in range(segments)
            ]
            conn.executemany("INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            conn.execute("INSERT INTO task_vectors VALUES (?, ?)", (task_id(i), vector * segments))
        elif ready:
            conn.executemany(
                "INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        task_id(i),
                        s,
                        s * 6.0,
                        s * 6.0 + 6.0,
                        ("visual", "audio")[s % 2],
                        "clip",
                        vector,
                    )
                    for s in range(segments)
                ],
            )
        if i % 5000 == 4999:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


async def per_call(fn: Callable[[], Awaitable[Any]], calls: int) -> float:
    t = time.perf_counter()
    for _ in range(calls):
        await fn()
    return (time.perf_counter() - t) / calls


async def measure(
    stores: dict[str, tuple[TaskStore, int]], runs: int, calls: int, now_ms: int
) -> dict[tuple[str, str], list[float]]:
    out: dict[tuple[str, str], list[float]] = {}
    rng = random.Random(1)
    new_ids = iter(range(10**9, 2 * 10**9))

    def cases(store: TaskStore, n: int) -> dict[str, Callable[[], Awaitable[Any]]]:
        def page(**kw: Any) -> Callable[[], Awaitable[Any]]:
            async def go() -> Any:
                _, total = await store.list_page(
                    created_from_ms=kw.get("frm"), created_to_ms=kw.get("to"),
                    status=kw.get("status"), offset=0, limit=10)  # fmt: skip
                if kw.get("last"):
                    await store.list_page(
                        created_from_ms=kw.get("frm"), created_to_ms=kw.get("to"),
                        status=kw.get("status"), offset=max(0, total - 10), limit=10)  # fmt: skip

            return go

        async def insert() -> None:
            i = next(new_ids)
            await store.insert(TaskRecord(task_id(i), "marengo3.0", "processing", now_ms, now_ms,
                                          input_filename="x.mp4", scopes=("clip",)))  # fmt: skip

        day = (now_ms - 3 * DAY_MS, now_ms - 2 * DAY_MS)
        window = 6 * DAY_MS * 17 // n  # about 17 tasks in either store
        few = (now_ms - 3 * DAY_MS, now_ms - 3 * DAY_MS + window)
        return {
            "get (status), any task": lambda: store.get(task_id(rng.randrange(n))),
            "get (status), the 100 newest": lambda: store.get(task_id(n - 1 - rng.randrange(100))),
            "segments (retrieve), any task": lambda: store.segments(task_id(rng.randrange(n))),
            "segments (retrieve), the 100 newest": lambda: store.segments(
                task_id(n - 1 - rng.randrange(100))
            ),
            "list, first page": page(),
            "list, first + last page": page(last=True),
            "list status=failed, first + last page": page(status="failed", last=True),
            "list one day, first + last page": page(frm=day[0], to=day[1], last=True),
            "list a range of ~17 tasks, first + last page": page(frm=few[0], to=few[1], last=True),
            "insert (create)": insert,
        }

    table = {label: cases(store, n) for label, (store, n) in stores.items()}
    for _ in range(runs):
        for label, ops in table.items():
            for case, fn in ops.items():
                await fn()  # warm the page cache for this shape
                k = calls if "list" not in case else max(5, calls // 10)
                out.setdefault((case, label), []).append(await per_call(fn, k))
    return out


async def startup(data_dir: Path) -> float:
    t = time.perf_counter()
    async with LocalEngine(data_dir=data_dir, api_key="tlk_bench", workers=1):
        pass
    return time.perf_counter() - t


async def run(work: Path, n: int, segments: int, runs: int, calls: int, report: Report) -> None:
    now_ms = int(time.time() * 1000)
    small, full = work / "small", work / "full"
    for d, count in ((small, 100), (full, n)):
        db = d / "tasks.sqlite3"
        marker = d / f"seeded-{count}-{segments}"
        if not marker.exists():
            d.mkdir(parents=True, exist_ok=True)
            db.unlink(missing_ok=True)
            t = time.perf_counter()
            await seed(db, count, segments, now_ms)
            print(f"seeded {count} tasks in {time.perf_counter() - t:.0f} s", flush=True)
            marker.touch()
    size = (full / "tasks.sqlite3").stat().st_size
    stores = {}
    for label, d, count in (("small", small, 100), ("full", full, n)):
        store = TaskStore(d / "tasks.sqlite3")
        await store.open()
        stores[label] = (store, count)
    try:
        got = await measure(stores, runs, calls, now_ms)
    finally:
        for store, _ in stores.values():
            await store.close()
    starts: dict[str, list[float]] = {"small": [], "full": []}
    for _ in range(runs):
        for label, d in (("small", small), ("full", full)):
            starts[label].append(await startup(d))
    for case in dict.fromkeys(c for c, _ in got):
        group = case
        base = f"{group}: 100 tasks"
        report.add(Row(group, base, got[(case, "small")]))
        report.add(Row(group, f"{group}: {n:,} tasks", got[(case, "full")], baseline=base,
                       target=GOAL))  # fmt: skip
    base = "engine start + close: 100 tasks"
    report.add(Row("start-up", base, starts["small"]))
    report.add(Row("start-up", f"engine start + close: {n:,} tasks", starts["full"],
                   baseline=base, target=GOAL))  # fmt: skip
    report.params.update(tasks=n, segments_per_ready_task=segments, db_bytes=size)
    report.notes.append(
        f"store size: {size / 2**20:,.0f} MiB for {n:,} tasks = {size / n / 1024:.1f} KiB per task"
        f" ({segments} x {DIM}-d segments per ready task: {segments * DIM * 4 / 1024:.0f} KiB"
        " of vectors)"
    )


async def retention(work: Path, n: int, report: Report) -> None:
    """Purge one day of the full store (a copy's worth is too big: purge, then report)."""
    db = work / "full" / "tasks.sqlite3"
    store = TaskStore(db)
    await store.open()
    try:
        before = db.stat().st_size
        cutoff = int(time.time() * 1000) - 5 * DAY_MS
        t = time.perf_counter()
        purged = await store.purge(cutoff)
        took = time.perf_counter() - t
    finally:
        await store.close()
    after = db.stat().st_size
    (work / "full" / f"seeded-{n}-{report.params['segments_per_ready_task']}").unlink()
    report.notes.append(
        f"retention purge of the oldest day ({n // 6:,} tasks) took {took:.1f} s; the file stays"
        f" {after / 2**20:,.0f} MiB (was {before / 2**20:,.0f}): SQLite reuses the freed pages"
        " for new tasks instead of shrinking the file"
        + (f" ({len(purged)} media paths)" if purged else "")
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_store_scale")
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--segments", type=int, default=20)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--workdir", help="keep the seeded stores here (reused when present)")
    ap.add_argument("--quick", action="store_true", help="10,000 tasks, 5 runs")
    args = ap.parse_args(argv)
    n = 10_000 if args.quick else args.tasks
    runs = 5 if args.quick else args.runs
    report = Report(NAME, f"engine store: {n:,} tasks against 100", quick=args.quick)
    load = os.getloadavg()[0]
    tmp = None if args.workdir else tempfile.TemporaryDirectory()
    work = Path(args.workdir or tmp.name)  # type: ignore[union-attr]
    asyncio.run(run(work, n, args.segments, runs, 60, report))
    asyncio.run(retention(work, n, report))
    loads = (load, os.getloadavg()[0])
    report.params["loadavg_1min"] = loads
    report.notes.append(
        f"1-min load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end"
        f" ({os.cpu_count()} CPUs); ratio = full store / small store, target <= {GOAL:g}x"
    )
    report.finish()
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
