"""A created range's list total comes from per-bucket counts: it must equal a row count,
for any range, after every kind of change, and on a file written before the counts."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from twelvelabs_embed.local.store import TaskRecord, TaskStore
from twelvelabs_embed.local.store_ranges import BUCKET_MS

pytestmark = pytest.mark.timeout(60)

BASE = 1_767_000_000_000 // BUCKET_MS * BUCKET_MS  # a bucket boundary
STATUSES = ("processing", "ready", "failed")


def task(i: int, created: int, status: str) -> TaskRecord:
    return TaskRecord(f"{i:024x}", "marengo3.0", status, created, created)


def brute(tasks: dict[str, TaskRecord], lo: int | None, hi: int | None, status: str | None) -> int:
    return sum(
        1
        for t in tasks.values()
        if (lo is None or t.created_ms >= lo)
        and (hi is None or t.created_ms <= hi)
        and (status is None or t.status == status)
    )


def ranges(rng: random.Random) -> list[tuple[int | None, int | None]]:
    """Ranges on and off bucket boundaries (one ms either side), open ends, empty ones."""
    edges = [BASE + h * BUCKET_MS + d for h in (-1, 0, 1, 2, 5, 11, 23, 30) for d in (-1, 0, 1)]
    edges += [BASE + rng.randrange(30 * BUCKET_MS) for _ in range(12)]
    out: list[tuple[int | None, int | None]] = [(None, BASE + 7 * BUCKET_MS), (BASE + 3, None)]
    for _ in range(60):
        lo, hi = rng.choice(edges), rng.choice(edges)
        out.append((lo, hi))  # lo > hi sometimes: an empty range
    return out


async def check_all(store: TaskStore, tasks: dict[str, TaskRecord], rng: random.Random) -> None:
    for lo, hi in ranges(rng):
        for status in (None, *STATUSES):
            _, total = await store.list_page(
                created_from_ms=lo, created_to_ms=hi, status=status, offset=0, limit=1
            )
            assert total == brute(tasks, lo, hi, status), (lo, hi, status)


async def seeded(path: Path, rng: random.Random) -> tuple[TaskStore, dict[str, TaskRecord]]:
    store = TaskStore(path)
    await store.open()
    tasks = {}
    for i in range(400):  # 30 buckets, a few tasks exactly on bucket boundaries
        created = BASE + (
            rng.randrange(30) * BUCKET_MS if i % 10 == 0 else rng.randrange(30 * BUCKET_MS)
        )
        t = task(i, created, "processing")
        await store.insert(t)
        tasks[t.id] = t
    return store, tasks


async def test_range_totals_equal_a_row_count_through_every_change(tmp_path: Path) -> None:
    rng = random.Random(18)
    store, tasks = await seeded(tmp_path / "t.sqlite3", rng)
    try:
        await check_all(store, tasks, rng)
        for t in rng.sample(sorted(tasks.values(), key=lambda t: t.id), 150):
            if rng.random() < 0.7:
                await store.mark_ready(t.id, 4.0, ["visual"], [], at_ms=BASE)
                tasks[t.id] = task(int(t.id, 16), t.created_ms, "ready")
            else:
                await store.mark_failed(t.id, "video_file_broken", "no", at_ms=BASE)
                tasks[t.id] = task(int(t.id, 16), t.created_ms, "failed")
        await check_all(store, tasks, rng)
        cutoff = BASE + 6 * BUCKET_MS + 1234
        await store.purge(cutoff)
        tasks = {k: t for k, t in tasks.items() if t.created_ms >= cutoff}
        await check_all(store, tasks, rng)
        await store.delete_all()
        await check_all(store, {}, rng)
    finally:
        await store.close()


async def test_a_file_from_before_the_bucket_counts_is_counted_once_on_open(tmp_path: Path) -> None:
    rng = random.Random(7)
    path = tmp_path / "t.sqlite3"
    store, tasks = await seeded(path, rng)
    await store.close()
    conn = sqlite3.connect(path)  # what an engine before the bucket counts left behind
    conn.executescript(
        "DROP TRIGGER tasks_bucket_counted; DROP TRIGGER tasks_bucket_uncounted;"
        " DROP TRIGGER tasks_bucket_recounted; DROP TABLE task_bucket_counts;"
    )
    conn.close()
    store = TaskStore(path)
    await store.open()
    try:
        await check_all(store, tasks, rng)
        t = task(999, BASE + 2 * BUCKET_MS, "processing")  # and kept from then on
        await store.insert(t)
        tasks[t.id] = t
        await check_all(store, tasks, rng)
    finally:
        await store.close()
