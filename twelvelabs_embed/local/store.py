"""SQLite storage for embed tasks: the one place in the engine that runs SQL.

Handlers never touch ``sqlite3``: every statement goes through
:class:`~twelvelabs_embed._sqlite.SingleWriterDatabase` (one writer thread, a small pool
of read-only connections), so the event loop never blocks on disk and WAL lets reads run
while a task's segments are written. Vectors are stored as float32 blobs (2 KiB per
512-d segment) and come back as NumPy arrays that orjson writes directly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from .._sqlite import SingleWriterDatabase, transaction
from .store_ranges import between, count_range

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    model_name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    input_url TEXT,
    input_filename TEXT,
    clip_length REAL,
    start_offset REAL,
    end_offset REAL,
    scopes TEXT NOT NULL,
    options TEXT,
    duration REAL,
    error_code TEXT,
    error_message TEXT,
    media_path TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created_ms DESC, id DESC);
DROP INDEX IF EXISTS tasks_status;
CREATE INDEX IF NOT EXISTS tasks_status_created ON tasks (status, created_ms DESC, id DESC);
CREATE TABLE IF NOT EXISTS segments (
    task_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    start_sec REAL NOT NULL,
    end_sec REAL NOT NULL,
    option TEXT NOT NULL,
    scope TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS task_vectors (
    task_id TEXT PRIMARY KEY,
    matrix BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS task_counts (
    status TEXT PRIMARY KEY,
    n INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO task_counts (status, n)
    SELECT status, COUNT(*) FROM tasks WHERE NOT EXISTS (SELECT 1 FROM task_counts)
    GROUP BY status;
CREATE TRIGGER IF NOT EXISTS tasks_counted AFTER INSERT ON tasks BEGIN
    INSERT INTO task_counts (status, n) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS tasks_uncounted AFTER DELETE ON tasks BEGIN
    UPDATE task_counts SET n = n - 1 WHERE status = OLD.status;
END;
CREATE TRIGGER IF NOT EXISTS tasks_recounted AFTER UPDATE OF status ON tasks
WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE task_counts SET n = n - 1 WHERE status = OLD.status;
    INSERT INTO task_counts (status, n) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TABLE IF NOT EXISTS task_bucket_counts (
    bucket INTEGER NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (bucket, status)
) WITHOUT ROWID;
INSERT INTO task_bucket_counts (bucket, status, n)
    SELECT created_ms / 600000, status, COUNT(*) FROM tasks
    WHERE NOT EXISTS (SELECT 1 FROM task_bucket_counts)
    GROUP BY created_ms / 600000, status;
CREATE TRIGGER IF NOT EXISTS tasks_bucket_counted AFTER INSERT ON tasks BEGIN
    INSERT INTO task_bucket_counts (bucket, status, n)
        VALUES (NEW.created_ms / 600000, NEW.status, 1)
        ON CONFLICT (bucket, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS tasks_bucket_uncounted AFTER DELETE ON tasks BEGIN
    UPDATE task_bucket_counts SET n = n - 1
        WHERE bucket = OLD.created_ms / 600000 AND status = OLD.status;
END;
CREATE TRIGGER IF NOT EXISTS tasks_bucket_recounted AFTER UPDATE OF status, created_ms ON tasks
WHEN OLD.status IS NOT NEW.status OR OLD.created_ms IS NOT NEW.created_ms BEGIN
    UPDATE task_bucket_counts SET n = n - 1
        WHERE bucket = OLD.created_ms / 600000 AND status = OLD.status;
    INSERT INTO task_bucket_counts (bucket, status, n)
        VALUES (NEW.created_ms / 600000, NEW.status, 1)
        ON CONFLICT (bucket, status) DO UPDATE SET n = n + 1;
END;
"""
# Why the shape: a 2 KiB vector in its segment row leaves SQLite one row per 4 KiB page
# (about half of the file was slack), so a task's vectors are one float32 matrix in
# ``task_vectors`` (row ``seq`` is segment ``seq``) and its segment rows stay small; rows
# written before carry their vector in ``segments.vector`` and are read as they are.
# ``task_counts`` (kept by triggers, filled once from an older file) makes list totals
# and the control plane's counts O(1) instead of a scan of every task; ``task_bucket_counts``
# (the same, per ten minutes of ``created_ms``) bounds a date range's total: whole buckets
# are summed, only the two partial ones at its edges are counted row by row.

_TASK_COLUMNS = (
    "id, model_name, status, created_ms, updated_ms, input_url, input_filename, clip_length,"
    " start_offset, end_offset, scopes, options, duration, error_code, error_message,"
    " media_path, attempts"
)


@attrs.frozen
class TaskRecord:
    """One task row. ``video_clip_length``/offsets are what the caller sent (None = default)."""

    id: str
    model_name: str
    status: str
    created_ms: int
    updated_ms: int
    input_url: str | None = None
    input_filename: str | None = None
    video_clip_length: float | None = None
    start_offset: float | None = None
    end_offset: float | None = None
    scopes: tuple[str, ...] = ("clip",)
    options: tuple[str, ...] = ()
    duration: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    media_path: str | None = None
    attempts: int = 0


@attrs.frozen
class SegmentRecord:
    start_offset_sec: float
    end_offset_sec: float
    embedding_option: str
    embedding_scope: str
    vector: npt.NDArray[np.float32]


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(text.split(",")) if text else ()


def _task(row: Sequence[Any]) -> TaskRecord:
    return TaskRecord(
        id=row[0],
        model_name=row[1],
        status=row[2],
        created_ms=row[3],
        updated_ms=row[4],
        input_url=row[5],
        input_filename=row[6],
        video_clip_length=row[7],
        start_offset=row[8],
        end_offset=row[9],
        scopes=_split(row[10]),
        options=_split(row[11]),
        duration=row[12],
        error_code=row[13],
        error_message=row[14],
        media_path=row[15],
        attempts=row[16],
    )


class TaskStore:
    """Async facade over the task database; every method is safe to await from handlers."""

    def __init__(self, path: Path, *, readers: int = 3) -> None:
        self._db = SingleWriterDatabase(path, _SCHEMA, readers=readers, name="tl-store")

    async def open(self) -> None:
        await self._db.open()

    async def close(self) -> None:
        await self._db.close()

    # --- for storage beside this one in the same database (v2 tasks) ------------------

    async def run_write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` on the single writer thread."""
        return await self._db.write(fn, *args)

    async def run_read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` on a read-only connection."""
        return await self._db.read(fn, *args)

    # --- writes ------------------------------------------------------------------------

    async def insert(self, task: TaskRecord) -> None:
        await self._db.write(self._insert, task)

    @staticmethod
    def _insert(conn: sqlite3.Connection, t: TaskRecord) -> None:
        conn.execute(
            f"INSERT INTO tasks ({_TASK_COLUMNS}) VALUES ({', '.join('?' * 17)})",
            (
                t.id, t.model_name, t.status, t.created_ms, t.updated_ms, t.input_url,
                t.input_filename, t.video_clip_length, t.start_offset, t.end_offset,
                ",".join(t.scopes), ",".join(t.options) or None, t.duration, t.error_code,
                t.error_message, t.media_path, t.attempts,
            ),
        )  # fmt: skip

    async def mark_ready(
        self,
        task_id: str,
        duration: float,
        options: Sequence[str],
        segments: Sequence[tuple[float, float, str, str, bytes]],
        *,
        at_ms: int,
    ) -> bool:
        """Store every segment and flip a ``processing`` task to ``ready``, in one
        transaction; ``False`` (nothing stored) when the task is no longer processing."""
        return await self._db.write(self._mark_ready, task_id, duration, options, segments, at_ms)

    @staticmethod
    def _mark_ready(
        conn: sqlite3.Connection,
        task_id: str,
        duration: float,
        options: Sequence[str],
        segments: Sequence[tuple[float, float, str, str, bytes]],
        at_ms: int,
    ) -> bool:
        with transaction(conn):
            updated = conn.execute(
                "UPDATE tasks SET status = 'ready', duration = ?, options = ?, updated_ms = ?,"
                " media_path = NULL, error_code = NULL, error_message = NULL"
                " WHERE id = ? AND status = 'processing'",
                (duration, ",".join(options), at_ms, task_id),
            ).rowcount
            if not updated:
                return False
            conn.execute("DELETE FROM segments WHERE task_id = ?", (task_id,))
            conn.execute("DELETE FROM task_vectors WHERE task_id = ?", (task_id,))
            conn.executemany(
                "INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, X'')",
                [(task_id, i, *seg[:4]) for i, seg in enumerate(segments)],
            )
            if segments:
                conn.execute(
                    "INSERT INTO task_vectors VALUES (?, ?)",
                    (task_id, b"".join(seg[4] for seg in segments)),
                )
        return True

    async def mark_failed(
        self,
        task_id: str,
        code: str,
        message: str,
        duration: float | None = None,
        *,
        at_ms: int,
    ) -> bool:
        """Flip a ``processing`` task to ``failed``; ``False`` when it is no longer
        processing (a test forced it, or it is gone)."""
        return await self._db.write(self._mark_failed, task_id, code, message, duration, at_ms)

    @staticmethod
    def _mark_failed(
        conn: sqlite3.Connection,
        task_id: str,
        code: str,
        message: str,
        duration: float | None,
        at_ms: int,
    ) -> bool:
        return bool(
            conn.execute(
                "UPDATE tasks SET status = 'failed', error_code = ?, error_message = ?,"
                " duration = COALESCE(?, duration), updated_ms = ?, media_path = NULL"
                " WHERE id = ? AND status = 'processing'",
                (code, message, duration, at_ms, task_id),
            ).rowcount
        )

    async def bump_attempts(self, task_id: str, runs: int = 1) -> int:
        """Count ``runs`` more processing attempts (crashed workers); returns the new count."""
        return await self._db.write(self._bump, task_id, runs)

    @staticmethod
    def _bump(conn: sqlite3.Connection, task_id: str, runs: int) -> int:
        row = conn.execute(
            "UPDATE tasks SET attempts = attempts + ? WHERE id = ? RETURNING attempts",
            (runs, task_id),
        ).fetchone()
        return int(row[0]) if row else 0

    async def purge(self, older_than_ms: int) -> list[str]:
        """Delete tasks created before ``older_than_ms``; returns their media paths."""
        return await self._db.write(self._purge, older_than_ms)

    @staticmethod
    def _purge(conn: sqlite3.Connection, older_than_ms: int) -> list[str]:
        with transaction(conn):
            rows = conn.execute(
                "SELECT id, media_path FROM tasks WHERE created_ms < ?", (older_than_ms,)
            ).fetchall()
            ids = [(r[0],) for r in rows]
            conn.executemany("DELETE FROM segments WHERE task_id = ?", ids)
            conn.executemany("DELETE FROM task_vectors WHERE task_id = ?", ids)
            conn.executemany("DELETE FROM tasks WHERE id = ?", ids)
        return [r[1] for r in rows if r[1]]

    async def delete_all(self) -> list[str]:
        """Delete every task (a test's clean slate); returns their media paths."""
        return await self._db.write(self._delete_all)

    @staticmethod
    def _delete_all(conn: sqlite3.Connection) -> list[str]:
        with transaction(conn):
            rows = conn.execute("SELECT media_path FROM tasks WHERE media_path IS NOT NULL")
            paths = [r[0] for r in rows.fetchall()]
            conn.execute("DELETE FROM segments")
            conn.execute("DELETE FROM task_vectors")
            conn.execute("DELETE FROM tasks")
        return paths

    # --- reads -------------------------------------------------------------------------

    async def counts(self) -> dict[str, int]:
        """How many tasks are in each status."""
        return await self._db.read(self._counts)

    @staticmethod
    def _counts(conn: sqlite3.Connection) -> dict[str, int]:
        rows = conn.execute("SELECT status, n FROM task_counts WHERE n > 0").fetchall()
        return {str(status): int(n) for status, n in rows}

    async def get(self, task_id: str, *, not_before_ms: int = 0) -> TaskRecord | None:
        """The task, or ``None`` when unknown or created before ``not_before_ms`` (expired)."""
        return await self._db.read(self._get, task_id, not_before_ms)

    @staticmethod
    def _get(conn: sqlite3.Connection, task_id: str, not_before_ms: int) -> TaskRecord | None:
        row = conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE id = ? AND created_ms >= ?",
            (task_id, not_before_ms),
        ).fetchone()
        return _task(row) if row else None

    async def segments(
        self, task_id: str, options: Sequence[str] | None = None
    ) -> list[SegmentRecord]:
        """Segments in stored (platform) order, optionally only some embedding options."""
        return await self._db.read(self._segments, task_id, tuple(options or ()))

    @staticmethod
    def _segments(
        conn: sqlite3.Connection, task_id: str, options: tuple[str, ...]
    ) -> list[SegmentRecord]:
        sql = "SELECT start_sec, end_sec, option, scope, vector, seq FROM segments"
        sql += " WHERE task_id = ?"
        args: list[Any] = [task_id]
        if options:
            sql += f" AND option IN ({', '.join('?' * len(options))})"
            args += options
        conn.execute("BEGIN")
        try:
            rows = conn.execute(sql + " ORDER BY seq", args).fetchall()
            blob = conn.execute(
                "SELECT matrix FROM task_vectors WHERE task_id = ?", (task_id,)
            ).fetchone()
            if blob is not None:
                n = conn.execute(
                    "SELECT COUNT(*) FROM segments WHERE task_id = ?", (task_id,)
                ).fetchone()[0]
        finally:
            conn.execute("COMMIT")
        if blob is None:  # written before task_vectors: each row holds its vector
            return [
                SegmentRecord(r[0], r[1], r[2], r[3], np.frombuffer(r[4], dtype="<f4"))
                for r in rows
            ]
        matrix = np.frombuffer(blob[0], dtype="<f4").reshape(n, -1)
        return [SegmentRecord(r[0], r[1], r[2], r[3], matrix[r[5]]) for r in rows]

    async def list_page(
        self,
        *,
        created_from_ms: int | None,
        created_to_ms: int | None,
        status: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[TaskRecord], int]:
        """One page, newest first, and the total number of matching tasks."""
        return await self._db.read(
            self._list, created_from_ms, created_to_ms, status, offset, limit
        )

    @staticmethod
    def _list(
        conn: sqlite3.Connection,
        created_from_ms: int | None,
        created_to_ms: int | None,
        status: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[TaskRecord], int]:
        created, args = between("created_ms", created_from_ms, created_to_ms)
        where = [created]
        if status is not None:
            where.append("status = ?")
            args.append(status)
        cond = " AND ".join(where)
        conn.execute("BEGIN")
        try:
            if created_from_ms is None and created_to_ms is None:
                count = "SELECT COALESCE(SUM(n), 0) FROM task_counts"
                count += " WHERE status = ?" if status is not None else ""
                total = conn.execute(count, args).fetchone()[0]
            else:
                total = count_range(conn, created_from_ms, created_to_ms, status)
            # Offset pages cost what they skip; a page nearer the end is read from the end.
            from_end = total - offset - limit
            if offset > 0 and from_end < offset:
                rows = conn.execute(
                    f"SELECT {_TASK_COLUMNS} FROM tasks WHERE {cond}"
                    " ORDER BY created_ms ASC, id ASC LIMIT ? OFFSET ?",
                    [*args, max(0, min(limit, total - offset)), max(0, from_end)],
                ).fetchall()[::-1]
            else:
                rows = conn.execute(
                    f"SELECT {_TASK_COLUMNS} FROM tasks WHERE {cond}"
                    " ORDER BY created_ms DESC, id DESC LIMIT ? OFFSET ?",
                    [*args, limit, offset],
                ).fetchall()
        finally:
            conn.execute("COMMIT")
        return [_task(r) for r in rows], int(total)

    async def processing(self) -> list[TaskRecord]:
        """Tasks still ``processing`` (after a restart: the ones to finish), oldest first."""
        return await self._db.read(self._processing)

    @staticmethod
    def _processing(conn: sqlite3.Connection) -> list[TaskRecord]:
        rows = conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE status = 'processing' ORDER BY created_ms, id"
        ).fetchall()
        return [_task(r) for r in rows]
