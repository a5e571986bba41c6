"""SQLite storage for Embed API v2 tasks, beside the v1 tables in the same database.

The SQL runs on :class:`~.store.TaskStore`'s writer thread and reader pool (its
``run_write``/``run_read``), so the one-writer rule holds for both APIs. A task keeps its
checked plan as JSON (what to embed, never the base64 payload, which is on disk) and,
once ``ready``, one row per ``data[]`` entry with its vector as float32 bytes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from .._sqlite import transaction
from .store import TaskStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS v2_tasks (
    id TEXT PRIMARY KEY,
    model_name TEXT NOT NULL,
    input_type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    plan TEXT NOT NULL,
    input_url TEXT,
    input_filename TEXT,
    media_path TEXT,
    media_owned INTEGER NOT NULL DEFAULT 1,
    duration REAL,
    error_message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS v2_tasks_created ON v2_tasks (created_ms DESC, id DESC);
CREATE TABLE IF NOT EXISTS v2_data (
    task_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    start_sec REAL,
    end_sec REAL,
    option TEXT,
    scope TEXT,
    vector BLOB NOT NULL,
    PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;
"""

_COLUMNS = (
    "id, model_name, input_type, status, created_ms, updated_ms, plan, input_url,"
    " input_filename, media_path, media_owned, duration, error_message, attempts"
)

DataTuple = tuple[float | None, float | None, str | None, str | None, bytes]
"""start_sec, end_sec, embedding_option, embedding_scope, float32 vector bytes."""


@attrs.frozen
class V2TaskRecord:
    """One v2 task. ``plan`` is the JSON the runner needs (see ``http/v2_tasks.py``)."""

    id: str
    model_name: str
    input_type: str
    status: str
    created_ms: int
    updated_ms: int
    plan: str
    input_url: str | None = None
    input_filename: str | None = None
    media_path: str | None = None
    media_owned: bool = True
    duration: float | None = None
    error_message: str | None = None
    attempts: int = 0


@attrs.frozen
class V2DataRecord:
    start_sec: float | None
    end_sec: float | None
    embedding_option: str | None
    embedding_scope: str | None
    vector: npt.NDArray[np.float32]


def _record(row: Sequence[Any]) -> V2TaskRecord:
    names = [a.name for a in attrs.fields(V2TaskRecord)]
    values = dict(zip(names, row, strict=True))
    values["media_owned"] = bool(values["media_owned"])
    return V2TaskRecord(**values)


def _transaction(conn: sqlite3.Connection, statements: Sequence[tuple[str, Any]]) -> None:
    """Run the statements in one transaction (a list of argument tuples runs many)."""
    with transaction(conn):
        for sql, args in statements:
            if isinstance(args, list):
                conn.executemany(sql, args)
            else:
                conn.execute(sql, args)


class V2TaskStore:
    """Async access to the v2 task tables; create with an open :class:`TaskStore`."""

    def __init__(self, store: TaskStore) -> None:
        self._store = store

    async def open(self) -> None:
        await self._store.run_write(lambda conn: conn.executescript(SCHEMA))

    async def insert(self, t: V2TaskRecord) -> None:
        values = (*attrs.astuple(t)[:10], int(t.media_owned), *attrs.astuple(t)[11:])
        sql = f"INSERT INTO v2_tasks ({_COLUMNS}) VALUES ({', '.join('?' * len(values))})"
        await self._store.run_write(lambda conn: conn.execute(sql, values))

    async def mark_ready(
        self, now_ms: int, task_id: str, duration: float | None, rows: Sequence[DataTuple]
    ) -> None:
        """Store every vector and flip the task to ``ready`` in one transaction."""
        statements: list[tuple[str, Any]] = [
            ("DELETE FROM v2_data WHERE task_id = ?", (task_id,)),
            (
                "INSERT INTO v2_data VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(task_id, i, *r) for i, r in enumerate(rows)],
            ),
            (
                "UPDATE v2_tasks SET status = 'ready', duration = COALESCE(?, duration),"
                " updated_ms = ?, error_message = NULL WHERE id = ? AND status = 'processing'",
                (duration, now_ms, task_id),
            ),
        ]
        await self._store.run_write(_transaction, statements)

    async def mark_failed(self, now_ms: int, task_id: str, message: str) -> bool:
        """Fail a ``processing`` task; ``False`` when it is not processing (or gone)."""
        sql = (
            "UPDATE v2_tasks SET status = 'failed', error_message = ?, updated_ms = ?"
            " WHERE id = ? AND status = 'processing'"
        )
        args = (message, now_ms, task_id)
        return bool(await self._store.run_write(lambda conn: conn.execute(sql, args).rowcount))

    async def counts(self) -> dict[str, int]:
        """Tasks by status."""
        sql = "SELECT status, COUNT(*) FROM v2_tasks GROUP BY status"
        return await self._store.run_read(lambda conn: dict(conn.execute(sql).fetchall()))

    async def delete_all(self) -> list[str]:
        """Forget every v2 task; returns the media files they owned."""

        def delete(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute("SELECT media_path, media_owned FROM v2_tasks").fetchall()
            _transaction(conn, [("DELETE FROM v2_data", ()), ("DELETE FROM v2_tasks", ())])
            return [r[0] for r in rows if r[0] and r[1]]

        return await self._store.run_write(delete)

    async def processing_with_media(self, media_path: str) -> int:
        """Unfinished tasks reading ``media_path`` (an asset's file: it must not go)."""
        sql = "SELECT COUNT(*) FROM v2_tasks WHERE media_path = ? AND status = 'processing'"
        return await self._store.run_read(
            lambda c: int(c.execute(sql, (media_path,)).fetchone()[0])
        )

    async def set_media(self, task_id: str, media_path: str | None) -> None:
        sql = "UPDATE v2_tasks SET media_path = ? WHERE id = ?"
        await self._store.run_write(lambda conn: conn.execute(sql, (media_path, task_id)))

    async def bump_attempts(self, task_id: str, runs: int = 1) -> int:
        """Count ``runs`` more processing attempts (crashed workers); returns the new count."""
        sql = "UPDATE v2_tasks SET attempts = attempts + ? WHERE id = ? RETURNING attempts"

        def bump(conn: sqlite3.Connection) -> int:
            row = conn.execute(sql, (runs, task_id)).fetchone()
            return int(row[0]) if row else 0

        return await self._store.run_write(bump)

    async def purge(self, older_than_ms: int) -> list[str]:
        """Delete tasks created before ``older_than_ms``; returns the media files they owned."""

        def purge(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT id, media_path, media_owned FROM v2_tasks WHERE created_ms < ?",
                (older_than_ms,),
            ).fetchall()
            ids = [(r[0],) for r in rows]
            _transaction(
                conn,
                [
                    ("DELETE FROM v2_data WHERE task_id = ?", ids),
                    ("DELETE FROM v2_tasks WHERE id = ?", ids),
                ],
            )
            return [r[1] for r in rows if r[1] and r[2]]

        return await self._store.run_write(purge)

    async def get(self, task_id: str, *, not_before_ms: int = 0) -> V2TaskRecord | None:
        sql = f"SELECT {_COLUMNS} FROM v2_tasks WHERE id = ? AND created_ms >= ?"

        def get(conn: sqlite3.Connection) -> V2TaskRecord | None:
            row = conn.execute(sql, (task_id, not_before_ms)).fetchone()
            return _record(row) if row else None

        return await self._store.run_read(get)

    async def data(self, task_id: str) -> list[V2DataRecord]:
        sql = "SELECT start_sec, end_sec, option, scope, vector FROM v2_data WHERE task_id = ? ORDER BY seq"

        def data(conn: sqlite3.Connection) -> list[V2DataRecord]:
            rows = conn.execute(sql, (task_id,)).fetchall()
            return [
                V2DataRecord(r[0], r[1], r[2], r[3], np.frombuffer(r[4], dtype="<f4")) for r in rows
            ]

        return await self._store.run_read(data)

    async def processing(self) -> list[V2TaskRecord]:
        """Tasks still ``processing`` (to finish after a restart), oldest first."""
        sql = f"SELECT {_COLUMNS} FROM v2_tasks WHERE status = 'processing' ORDER BY created_ms, id"
        return await self._store.run_read(lambda conn: [_record(r) for r in conn.execute(sql)])

    async def list_page(
        self,
        *,
        created_from_ms: int | None,
        created_to_ms: int | None,
        status: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[V2TaskRecord], int]:
        """One page, newest first, and the number of matching tasks."""
        where, args = ["1 = 1"], []
        for cond, value in (
            ("created_ms >= ?", created_from_ms),
            ("created_ms <= ?", created_to_ms),
            ("status = ?", status),
        ):
            if value is not None:
                where.append(cond)
                args.append(value)
        cond = " AND ".join(where)

        def page(conn: sqlite3.Connection) -> tuple[list[V2TaskRecord], int]:
            conn.execute("BEGIN")
            try:
                total = conn.execute(
                    f"SELECT COUNT(*) FROM v2_tasks WHERE {cond}", args
                ).fetchone()[0]
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM v2_tasks WHERE {cond}"
                    " ORDER BY created_ms DESC, id DESC LIMIT ? OFFSET ?",
                    [*args, limit, offset],
                ).fetchall()
            finally:
                conn.execute("COMMIT")
            return [_record(r) for r in rows], int(total)

        return await self._store.run_read(page)
