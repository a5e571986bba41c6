"""The SQLite store and the JSON bodies it feeds: round trips, order, paging, purge."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import orjson
import pytest

from twelvelabs_embed.local.http import bodies
from twelvelabs_embed.local.store import TaskRecord, TaskStore

pytestmark = pytest.mark.timeout(30)


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = TaskStore(tmp_path / "t.sqlite3")
    await s.open()
    yield s
    await s.close()


def task(i: int, created: int, status: str = "processing", **kw: object) -> TaskRecord:
    return TaskRecord(f"{i:024x}", "marengo3.0", status, created, created, **kw)  # type: ignore[arg-type]


def segs(n: int, dim: int = 512) -> list[tuple[float, float, str, str, bytes]]:
    rng = np.random.default_rng(0)
    out = []
    for opt in ("visual", "audio"):
        for k in range(n):
            v = rng.standard_normal(dim).astype("<f4")
            out.append((2.0 * k, 2.0 * k + 2, opt, "clip", (v / np.linalg.norm(v)).tobytes()))
    return out


async def test_wal_and_roundtrip(store: TaskStore, tmp_path: Path) -> None:
    t = task(
        1,
        now_ms(),
        input_url="http://x.test/v.mp4",
        scopes=("clip", "video"),
        video_clip_length=2.5,
    )
    await store.insert(t)
    assert await store.get(t.id) == t
    assert await store.get("f" * 24) is None
    assert await store.get(t.id, not_before_ms=t.created_ms + 1) is None  # expired
    mode = sqlite3.connect(tmp_path / "t.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


async def test_segments_float32_order_and_filter(store: TaskStore) -> None:
    t = task(2, now_ms())
    await store.insert(t)
    rows = segs(3)
    await store.mark_ready(t.id, 6.5, ("visual", "audio"), rows, at_ms=now_ms())
    ready = await store.get(t.id)
    assert ready is not None and ready.status == "ready" and ready.duration == 6.5
    assert ready.options == ("visual", "audio") and ready.media_path is None
    got = await store.segments(t.id)
    assert [(s.embedding_option, s.start_offset_sec) for s in got] == [(r[2], r[0]) for r in rows]
    assert got[0].vector.dtype == np.float32 and got[0].vector.tobytes() == rows[0][4]
    audio = await store.segments(t.id, ["audio"])
    assert len(audio) == 3 and {s.embedding_option for s in audio} == {"audio"}
    body = orjson.loads(bodies.retrieve_body(ready, got))
    first = body["video_embedding"]["segments"][0]
    assert len(first["float"]) == 512
    assert np.array_equal(np.asarray(first["float"], dtype=np.float32), got[0].vector)
    assert abs(np.linalg.norm(first["float"]) - 1) < 1e-5


async def test_failed_and_attempts(store: TaskStore) -> None:
    t = task(3, now_ms(), media_path="/nowhere")
    await store.insert(t)
    assert await store.bump_attempts(t.id) == 1
    assert await store.bump_attempts(t.id) == 2
    await store.mark_failed(t.id, "video_file_broken", "nope", at_ms=now_ms())
    failed = await store.get(t.id)
    assert failed is not None and (failed.status, failed.error_code, failed.media_path) == (
        "failed", "video_file_broken", None,
    )  # fmt: skip
    body = orjson.loads(bodies.status_body(failed))
    assert body["error"] == {"code": "video_file_broken", "message": "nope"}


async def test_list_newest_first_and_totals(store: TaskStore) -> None:
    base = now_ms()
    for i in range(7):
        await store.insert(task(i, base + i * 10, status="ready" if i % 2 else "processing"))  # type: ignore[arg-type]
    page, total = await store.list_page(
        created_from_ms=None, created_to_ms=None, status=None, offset=0, limit=3
    )
    assert total == 7 and [t.id for t in page] == [f"{i:024x}" for i in (6, 5, 4)]
    page, total = await store.list_page(
        created_from_ms=base + 15, created_to_ms=base + 45, status="ready", offset=0, limit=50
    )
    assert total == 1 and [t.id for t in page] == [f"{3:024x}"]  # 20..40 ms, ready = odd
    page, total = await store.list_page(
        created_from_ms=None, created_to_ms=None, status=None, offset=700, limit=3
    )
    assert page == [] and total == 7
    assert [t.id for t in await store.processing()] == [f"{i:024x}" for i in (0, 2, 4, 6)]


async def test_purge_returns_media(store: TaskStore, tmp_path: Path) -> None:
    old, new = now_ms() - 10_000, now_ms()
    await store.insert(task(1, old, media_path=str(tmp_path / "a.upload")))
    await store.insert(task(2, new))
    await store.mark_ready(f"{1:024x}", 5.0, ("visual",), segs(1)[:1], at_ms=now_ms())
    assert await store.purge(new - 1) == []  # the ready task's media_path was cleared
    assert await store.get(f"{1:024x}") is None and await store.segments(f"{1:024x}") == []
    assert await store.get(f"{2:024x}") is not None


def test_rfc3339_milliseconds() -> None:
    assert bodies.rfc3339(1_727_346_559_968) == "2024-09-26T10:29:19.968Z"
    assert bodies.rfc3339(0) == "1970-01-01T00:00:00.000Z"
