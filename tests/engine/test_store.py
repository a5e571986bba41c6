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


async def test_pages_read_from_the_end_match_the_order_from_the_start(store: TaskStore) -> None:
    """Late pages are read backwards (cheaper with many tasks); with ties in created_ms,
    filters and partial pages, every page is the slice of the one full ordering."""
    base = now_ms()
    statuses = ("ready", "failed", "processing")
    made = [task(i, base - (i // 3) * 1000, statuses[i % 3]) for i in range(37)]
    for t in made:
        await store.insert(t)
    newest_first = sorted(made, key=lambda t: (t.created_ms, t.id), reverse=True)
    cases = [
        (None, None, None),
        (None, None, "failed"),
        (base - 8000, base - 2000, None),
        (base - 8000, None, "ready"),
    ]
    for frm, to, status in cases:
        want = [
            t.id
            for t in newest_first
            if (frm is None or t.created_ms >= frm)
            and (to is None or t.created_ms <= to)
            and (status is None or t.status == status)
        ]
        for limit in (1, 4, 10, 50):
            for offset in range(0, len(want) + 3):
                page, total = await store.list_page(
                    created_from_ms=frm, created_to_ms=to, status=status, offset=offset, limit=limit
                )
                assert total == len(want)
                assert [t.id for t in page] == want[offset : offset + limit], (frm, to, status)


async def test_counts_follow_every_change(store: TaskStore) -> None:
    """The per-status counts (kept by triggers) always equal a count of the rows."""
    base = now_ms()
    for i in range(6):
        await store.insert(task(i, base - i * 1000))
    await store.mark_ready(f"{0:024x}", 4.0, ["visual"], segs(1), at_ms=base)
    await store.mark_failed(f"{1:024x}", "video_file_broken", "no", at_ms=base)
    await store.mark_ready(f"{1:024x}", 4.0, ["visual"], segs(1), at_ms=base)  # not processing
    assert await store.counts() == {"ready": 1, "failed": 1, "processing": 4}
    assert (await store.list_page(created_from_ms=None, created_to_ms=None, status="processing",
                                  offset=0, limit=1))[1] == 4  # fmt: skip
    await store.purge(base - 3500)  # tasks 4 and 5
    assert await store.counts() == {"ready": 1, "failed": 1, "processing": 2}
    await store.delete_all()
    assert await store.counts() == {}


async def test_a_store_written_before_task_vectors_still_reads(tmp_path: Path) -> None:
    """A file from before the vector matrix and the counts table: its segment rows keep
    their vectors, and the counts are filled once from the rows on open."""
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE tasks (id TEXT PRIMARY KEY, model_name TEXT NOT NULL, status TEXT NOT NULL,
            created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, input_url TEXT,
            input_filename TEXT, clip_length REAL, start_offset REAL, end_offset REAL,
            scopes TEXT NOT NULL, options TEXT, duration REAL, error_code TEXT,
            error_message TEXT, media_path TEXT, attempts INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX tasks_status ON tasks (status);
        CREATE TABLE segments (task_id TEXT NOT NULL, seq INTEGER NOT NULL,
            start_sec REAL NOT NULL, end_sec REAL NOT NULL, option TEXT NOT NULL,
            scope TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (task_id, seq)) WITHOUT ROWID;
        """
    )
    old = segs(2)
    ids = [f"{i:024x}" for i in range(3)]
    for i, tid in enumerate(ids):
        status = "ready" if i < 2 else "failed"
        conn.execute(
            "INSERT INTO tasks (id, model_name, status, created_ms, updated_ms, scopes)"
            " VALUES (?, 'marengo3.0', ?, ?, ?, 'clip')",
            (tid, status, now_ms(), now_ms()),
        )
    conn.executemany(
        "INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(ids[0], k, *seg) for k, seg in enumerate(old)],
    )
    conn.commit()
    conn.close()
    store = TaskStore(path)
    await store.open()
    try:
        assert await store.counts() == {"ready": 2, "failed": 1}
        got = await store.segments(ids[0], ["audio"])
        assert [np.asarray(s.vector).tobytes() for s in got] == [s[4] for s in old[2:]]
        await store.insert(task(9, now_ms()))  # new rows land next to the old ones
        await store.mark_ready(f"{9:024x}", 4.0, ["visual", "audio"], old, at_ms=now_ms())
        new = await store.segments(f"{9:024x}")
        assert [np.asarray(s.vector).tobytes() for s in new] == [s[4] for s in old]
        assert await store.counts() == {"ready": 3, "failed": 1}
    finally:
        await store.close()
