"""SQLite storage for assets and multipart uploads: the one place their SQL lives.

Its own database file (``assets.sqlite3`` beside ``tasks.sqlite3``) on the same
single-writer helper as the task store, so the chunk bookkeeping of a large upload
(hundreds of small writes) never queues behind a task's segment inserts. Every
decision that must be atomic (a chunk's upload starting, a report batch, an upload
completing) is one writer-thread call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from .._sqlite import SingleWriterDatabase, transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS assets (
    id TEXT PRIMARY KEY,
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    media_type TEXT NOT NULL,
    filename TEXT,
    file_type TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    user_metadata TEXT,
    input_url TEXT,
    media_path TEXT,
    size INTEGER,
    duration REAL,
    width INTEGER,
    height INTEGER,
    has_audio INTEGER,
    error_message TEXT
);
CREATE INDEX IF NOT EXISTS assets_created ON assets (created_ms DESC, id DESC);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    asset_id TEXT NOT NULL,
    type TEXT NOT NULL,
    total_size INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL,
    total_chunks INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    path TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_status ON uploads (status, created_ms DESC);
CREATE TABLE IF NOT EXISTS upload_chunks (
    upload_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    state TEXT NOT NULL,
    etag TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    reported_ms INTEGER,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (upload_id, idx)
) WITHOUT ROWID;
"""
# upload_chunks.state: receiving (a PUT is writing it), received (its bytes and ETag are
# in), completed (reported with the matching ETag), failed (reported with another).

_ASSET_COLS = (
    "id, method, status, media_type, filename, file_type, created_ms, updated_ms,"
    " user_metadata, input_url, media_path, size, duration, width, height, has_audio,"
    " error_message"
)
_UPLOAD_COLS = (
    "id, asset_id, type, total_size, chunk_size, total_chunks, status, created_ms,"
    " updated_ms, expires_ms, path"
)


@attrs.frozen
class AssetRecord:
    id: str
    method: str
    status: str
    media_type: str
    filename: str | None
    file_type: str | None
    created_ms: int
    updated_ms: int
    user_metadata: str | None = None
    """The JSON text the caller sent."""
    input_url: str | None = None
    media_path: str | None = None
    size: int | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    has_audio: bool | None = None
    error_message: str | None = None


@attrs.frozen
class UploadRecord:
    id: str
    asset_id: str
    type: str
    total_size: int
    chunk_size: int
    total_chunks: int
    status: str
    created_ms: int
    updated_ms: int
    expires_ms: int
    path: str


@attrs.frozen
class ChunkRow:
    index: int
    status: str
    """As the platform words it: completed, pending or failed."""
    reported_ms: int | None
    updated_ms: int | None
    error: str | None


@attrs.frozen
class ChunkCounts:
    completed: int
    failed: int
    completed_bytes: int


@attrs.frozen
class ReportOutcome:
    processed: int
    duplicates: int
    total_completed: int
    failed: tuple[int, ...]
    upload_completed: bool
    """This report finished the upload (it was ``active`` and now every chunk is in)."""


def _asset(r: Sequence[Any]) -> AssetRecord:
    has_audio = None if r[15] is None else bool(r[15])
    return AssetRecord(*r[:15], has_audio, r[16])  # type: ignore[call-arg]


def _upload(r: Sequence[Any]) -> UploadRecord:
    return UploadRecord(*r)


class AssetStore:
    """Async facade over the assets database; safe to await from handlers."""

    def __init__(self, path: Path, *, readers: int = 2) -> None:
        self._db = SingleWriterDatabase(path, _SCHEMA, readers=readers, name="tl-assets")

    async def open(self) -> None:
        await self._db.open()

    async def close(self) -> None:
        await self._db.close()

    # --- assets ------------------------------------------------------------------------

    async def insert_asset(self, a: AssetRecord, upload: UploadRecord | None = None) -> None:
        await self._db.write(self._insert_asset, a, upload)

    @staticmethod
    def _insert_asset(conn: sqlite3.Connection, a: AssetRecord, u: UploadRecord | None) -> None:
        with transaction(conn):
            values = attrs.astuple(a)
            conn.execute(f"INSERT INTO assets ({_ASSET_COLS}) VALUES ({', '.join('?' * 17)})",
                         values)  # fmt: skip
            if u is not None:
                conn.execute(
                    f"INSERT INTO uploads ({_UPLOAD_COLS}) VALUES ({', '.join('?' * 11)})",
                    attrs.astuple(u),
                )

    async def get_asset(self, asset_id: str) -> AssetRecord | None:
        return await self._db.read(self._get_asset, asset_id)

    @staticmethod
    def _get_asset(conn: sqlite3.Connection, asset_id: str) -> AssetRecord | None:
        row = conn.execute(f"SELECT {_ASSET_COLS} FROM assets WHERE id = ?", (asset_id,))
        found = row.fetchone()
        return _asset(found) if found else None

    async def finish_asset(
        self, asset_id: str, at_ms: int, *, error: str | None = None, **facts: Any
    ) -> bool:
        """``processing`` -> ``ready`` with ``facts`` (size, duration, width, height,
        has_audio, media_path), or -> ``failed`` with ``error``; ``False`` when it was no
        longer processing (deleted meanwhile)."""
        return await self._db.write(self._finish_asset, asset_id, at_ms, error, facts)

    @staticmethod
    def _finish_asset(
        conn: sqlite3.Connection, asset_id: str, at_ms: int, error: str | None, facts: Any
    ) -> bool:
        status = "failed" if error is not None else "ready"
        cols = "".join(f", {k} = ?" for k in facts)
        return bool(
            conn.execute(
                f"UPDATE assets SET status = ?, error_message = ?, updated_ms = ?{cols}"
                " WHERE id = ? AND status = 'processing'",
                (status, error, at_ms, *facts.values(), asset_id),
            ).rowcount
        )

    async def list_assets(
        self,
        *,
        ids: Sequence[str],
        types: Sequence[str],
        filename: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[AssetRecord], int]:
        """One page, newest first, and how many assets match."""
        return await self._db.read(self._list_assets, ids, types, filename, offset, limit)

    @staticmethod
    def _list_assets(
        conn: sqlite3.Connection,
        ids: Sequence[str],
        types: Sequence[str],
        filename: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[AssetRecord], int]:
        where, args = ["1 = 1"], []
        if ids:
            where.append(f"id IN ({', '.join('?' * len(ids))})")
            args += list(ids)
        if types:
            where.append(f"media_type IN ({', '.join('?' * len(types))})")
            args += list(types)
        if filename:
            where.append("instr(lower(filename), ?) > 0")
            args.append(filename.lower())
        cond = " AND ".join(where)
        conn.execute("BEGIN")
        try:
            total = conn.execute(f"SELECT COUNT(*) FROM assets WHERE {cond}", args).fetchone()
            rows = conn.execute(
                f"SELECT {_ASSET_COLS} FROM assets WHERE {cond}"
                " ORDER BY created_ms DESC, id DESC LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        return [_asset(r) for r in rows], int(total[0])

    async def delete_asset(self, asset_id: str) -> list[str]:
        """Remove the asset and its upload; returns the files to remove."""
        return await self._db.write(self._delete_asset, asset_id)

    @staticmethod
    def _delete_asset(conn: sqlite3.Connection, asset_id: str) -> list[str]:
        with transaction(conn):
            row = conn.execute("SELECT media_path FROM assets WHERE id = ?", (asset_id,))
            found = row.fetchone()
            paths = [found[0]] if found and found[0] else []
            for upload_id, path in conn.execute(
                "SELECT id, path FROM uploads WHERE asset_id = ?", (asset_id,)
            ).fetchall():
                paths.append(path)
                conn.execute("DELETE FROM upload_chunks WHERE upload_id = ?", (upload_id,))
            conn.execute("DELETE FROM uploads WHERE asset_id = ?", (asset_id,))
            conn.execute("DELETE FROM assets WHERE id = ?", (asset_id,))
        return sorted(set(paths))

    async def processing_assets(self) -> list[AssetRecord]:
        """Assets still ``processing`` outside an upload (after a restart: to finish)."""
        return await self._db.read(self._processing)

    @staticmethod
    def _processing(conn: sqlite3.Connection) -> list[AssetRecord]:
        rows = conn.execute(
            f"SELECT {_ASSET_COLS} FROM assets WHERE status = 'processing' AND NOT EXISTS"
            " (SELECT 1 FROM uploads u WHERE u.asset_id = assets.id AND u.status = 'active')"
            " ORDER BY created_ms"
        ).fetchall()
        return [_asset(r) for r in rows]

    # --- uploads -----------------------------------------------------------------------

    async def get_upload(self, upload_id: str) -> UploadRecord | None:
        return await self._db.read(self._get_upload, upload_id)

    @staticmethod
    def _get_upload(conn: sqlite3.Connection, upload_id: str) -> UploadRecord | None:
        row = conn.execute(f"SELECT {_UPLOAD_COLS} FROM uploads WHERE id = ?", (upload_id,))
        found = row.fetchone()
        return _upload(found) if found else None

    async def chunk_begin(self, upload_id: str, index: int, at_ms: int) -> int | None:
        """A PUT for the chunk starts: forget its old ETag. Returns how many PUTs came
        before (0 = its bytes in the file are still the sparse zeros), or ``None`` when the
        chunk is already completed or the upload is not active."""
        return await self._db.write(self._chunk_begin, upload_id, index, at_ms)

    @staticmethod
    def _chunk_begin(
        conn: sqlite3.Connection, upload_id: str, index: int, at_ms: int
    ) -> int | None:
        with transaction(conn):
            active = conn.execute(
                "SELECT 1 FROM uploads WHERE id = ? AND status = 'active'", (upload_id,)
            ).fetchone()
            row = conn.execute(
                "SELECT state, attempts FROM upload_chunks WHERE upload_id = ? AND idx = ?",
                (upload_id, index),
            ).fetchone()
            if not active or (row and row[0] == "completed"):
                return None
            conn.execute(
                "INSERT INTO upload_chunks (upload_id, idx, state, attempts, updated_ms)"
                " VALUES (?, ?, 'receiving', 1, ?) ON CONFLICT (upload_id, idx) DO UPDATE SET"
                " state = 'receiving', etag = NULL, error = NULL, attempts = attempts + 1,"
                " updated_ms = excluded.updated_ms",
                (upload_id, index, at_ms),
            )
        return int(row[1]) if row else 0

    async def chunk_received(self, upload_id: str, index: int, etag: str, at_ms: int) -> None:
        await self._db.write(self._chunk_received, upload_id, index, etag, at_ms)

    @staticmethod
    def _chunk_received(
        conn: sqlite3.Connection, upload_id: str, index: int, etag: str, at_ms: int
    ) -> None:
        conn.execute(
            "UPDATE upload_chunks SET state = 'received', etag = ?, updated_ms = ?"
            " WHERE upload_id = ? AND idx = ? AND state = 'receiving'",
            (etag, at_ms, upload_id, index),
        )

    async def chunk_abandoned(self, upload_id: str, index: int, at_ms: int) -> None:
        """A PUT broke off: its bytes are partial, so no ETag stands for them."""
        await self._db.write(self._chunk_abandoned, upload_id, index, at_ms)

    @staticmethod
    def _chunk_abandoned(conn: sqlite3.Connection, upload_id: str, index: int, at_ms: int) -> None:
        conn.execute(
            "UPDATE upload_chunks SET state = 'failed', etag = NULL, updated_ms = ?,"
            " error = 'The upload of this chunk did not finish; upload it again.'"
            " WHERE upload_id = ? AND idx = ? AND state = 'receiving'",
            (at_ms, upload_id, index),
        )

    async def report(
        self, upload_id: str, entries: Sequence[tuple[int, str, int]], at_ms: int
    ) -> ReportOutcome:
        """Apply one report batch: a matching ETag completes a chunk, a chunk already
        completed is a duplicate (ignored), anything else marks the chunk ``failed``."""
        return await self._db.write(self._report, upload_id, entries, at_ms)

    @staticmethod
    def _report(
        conn: sqlite3.Connection,
        upload_id: str,
        entries: Sequence[tuple[int, str, int]],
        at_ms: int,
    ) -> ReportOutcome:
        processed = duplicates = 0
        failed: list[int] = []
        with transaction(conn):
            up = conn.execute(
                "SELECT status, total_chunks FROM uploads WHERE id = ?", (upload_id,)
            ).fetchone()
            for index, proof, _size in entries:
                row = conn.execute(
                    "SELECT state, etag FROM upload_chunks WHERE upload_id = ? AND idx = ?",
                    (upload_id, index),
                ).fetchone()
                if row and row[0] == "completed":
                    duplicates += 1
                    continue
                if row and row[0] == "received" and row[1] == proof:
                    conn.execute(
                        "UPDATE upload_chunks SET state = 'completed', reported_ms = ?,"
                        " updated_ms = ?, error = NULL WHERE upload_id = ? AND idx = ?",
                        (at_ms, at_ms, upload_id, index),
                    )
                    processed += 1
                    continue
                failed.append(index)
                if row and row[0] == "receiving":
                    continue  # its PUT is still running; the chunk stays pending
                conn.execute(
                    "INSERT INTO upload_chunks (upload_id, idx, state, error, updated_ms)"
                    " VALUES (?, ?, 'failed', ?, ?) ON CONFLICT (upload_id, idx) DO UPDATE SET"
                    " state = 'failed', error = excluded.error, updated_ms = excluded.updated_ms",
                    (upload_id, index, _report_failure(row), at_ms),
                )
            done = conn.execute(
                "SELECT COUNT(*) FROM upload_chunks WHERE upload_id = ? AND state = 'completed'",
                (upload_id,),
            ).fetchone()[0]
            finished = up[0] == "active" and done == up[1]
            if finished:
                conn.execute(
                    "UPDATE uploads SET status = 'completed', updated_ms = ? WHERE id = ?",
                    (at_ms, upload_id),
                )
        return ReportOutcome(processed, duplicates, int(done), tuple(failed), finished)

    async def chunk_page(self, upload: UploadRecord, offset: int, limit: int) -> list[ChunkRow]:
        """Every chunk of the upload (those never sent are ``pending``), by number."""
        return await self._db.read(self._chunk_page, upload, offset, limit)

    @staticmethod
    def _chunk_page(
        conn: sqlite3.Connection, upload: UploadRecord, offset: int, limit: int
    ) -> list[ChunkRow]:
        first, last = offset + 1, min(upload.total_chunks, offset + limit)
        rows = {
            r[0]: r
            for r in conn.execute(
                "SELECT idx, state, reported_ms, updated_ms, error FROM upload_chunks"
                " WHERE upload_id = ? AND idx BETWEEN ? AND ?",
                (upload.id, first, last),
            ).fetchall()
        }
        out = []
        for i in range(first, last + 1):
            r = rows.get(i)
            if r is None:
                out.append(ChunkRow(i, "pending", None, None, None))
                continue
            status = r[1] if r[1] in ("completed", "failed") else "pending"
            out.append(ChunkRow(i, status, r[2], r[3], r[4] if status == "failed" else None))
        return out

    async def chunk_counts(self, upload: UploadRecord) -> ChunkCounts:
        return await self._db.read(self._chunk_counts, upload)

    @staticmethod
    def _chunk_counts(conn: sqlite3.Connection, upload: UploadRecord) -> ChunkCounts:
        rows = conn.execute(
            "SELECT idx, state FROM upload_chunks WHERE upload_id = ? AND state IN"
            " ('completed', 'failed')",
            (upload.id,),
        ).fetchall()
        done = [i for i, s in rows if s == "completed"]
        last_size = upload.total_size - (upload.total_chunks - 1) * upload.chunk_size
        size = len(done) * upload.chunk_size
        if upload.total_chunks in done:
            size += last_size - upload.chunk_size
        return ChunkCounts(len(done), len(rows) - len(done), size)

    async def list_uploads(
        self, status: str, offset: int, limit: int
    ) -> tuple[list[UploadRecord], int]:
        return await self._db.read(self._list_uploads, status, offset, limit)

    @staticmethod
    def _list_uploads(
        conn: sqlite3.Connection, status: str, offset: int, limit: int
    ) -> tuple[list[UploadRecord], int]:
        total = conn.execute("SELECT COUNT(*) FROM uploads WHERE status = ?", (status,))
        n = int(total.fetchone()[0])
        rows = conn.execute(
            f"SELECT {_UPLOAD_COLS} FROM uploads WHERE status = ?"
            " ORDER BY created_ms DESC, id DESC LIMIT ? OFFSET ?",
            (status, limit, offset),
        ).fetchall()
        return [_upload(r) for r in rows], n

    async def expire_uploads(self, now_ms: int) -> list[UploadRecord]:
        """Active uploads past their deadline become ``expired`` and their assets
        ``failed``; returns them (their partial files are the caller's to remove)."""
        return await self._db.write(self._expire, now_ms)

    @staticmethod
    def _expire(conn: sqlite3.Connection, now_ms: int) -> list[UploadRecord]:
        with transaction(conn):
            rows = conn.execute(
                f"SELECT {_UPLOAD_COLS} FROM uploads WHERE status = 'active' AND expires_ms <= ?",
                (now_ms,),
            ).fetchall()
            for r in rows:
                conn.execute(
                    "UPDATE uploads SET status = 'expired', updated_ms = ? WHERE id = ?",
                    (now_ms, r[0]),
                )
                conn.execute(
                    "UPDATE assets SET status = 'failed', updated_ms = ?, error_message ="
                    " 'The multipart upload expired before every chunk was reported.'"
                    " WHERE id = ? AND status = 'processing'",
                    (now_ms, r[1]),
                )
                conn.execute("DELETE FROM upload_chunks WHERE upload_id = ?", (r[0],))
        return [_upload(r) for r in rows]


def _report_failure(row: Sequence[Any] | None) -> str:
    if row is None:
        return "No upload of this chunk was received; upload it, then report it."
    if row[0] == "received":
        return "The proof does not match the ETag of the bytes received; upload the chunk again."
    return "This chunk's upload failed; upload it again."
