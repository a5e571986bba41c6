"""The job journal: one SQLite file that says where every input stands.

One object owns the database (datasette's rule, :mod:`twelvelabs_embed._sqlite`): a
single thread holds the only connection and runs every statement, so each state change
is one short transaction and the event loop never blocks on disk. A lock file keeps a
second process off the journal: an exclusive ``flock`` on the database file itself, so
every name for it (a symlink, a hard link) meets the same lock. The schema carries a
version (``PRAGMA user_version``); a file that is not a journal, or one written by a
newer version, is refused with one line that names it (:class:`~.errors.JournalError`).

States, and what a crash in each one means for the next run::

    pending ──> uploading ──> processing ──> ready ──> retrieved
       ^            │   (task id recorded         (rows durable
       └────────────┘    in the same commit)       before this commit)
     (429 / refused)         └──────> failed (code, message, retryable)

``uploading`` carries a fresh attempt id and its start time. Left behind by a crash (or
after an error that may have reached the server) it means "a task may exist": the runner
looks for it with ``list(started_at=...)`` before it uploads again.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs

from .._aio import to_thread
from .._sqlite import SingleWriterDatabase, transaction
from ..errors import JournalBusyError, JournalError
from .identity import JobInput

_Queued = tuple[str, tuple[Any, ...], str, "asyncio.Future[Entry]"]

STATES = ("pending", "uploading", "processing", "ready", "retrieved", "failed")
DONE_STATES = frozenset({"retrieved", "failed"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inputs (
    key TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    locator TEXT NOT NULL,
    params TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    size INTEGER,
    mtime_ns INTEGER,
    sha256 TEXT,
    attempt_id TEXT,
    attempt_started REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    task_id TEXT UNIQUE,
    error_code TEXT,
    error_message TEXT,
    retryable INTEGER NOT NULL DEFAULT 0,
    segments INTEGER NOT NULL DEFAULT 0,
    dimension INTEGER NOT NULL DEFAULT 0,
    duration REAL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS inputs_state ON inputs (state);
PRAGMA user_version = 1;
"""
JOURNAL_VERSION = 1
"""The schema's version, in ``PRAGMA user_version`` (0: a journal from before versions)."""
_COLUMNS = (
    "key, source, state, size, mtime_ns, sha256, attempt_id, attempt_started, attempts,"
    " task_id, error_code, error_message, retryable, segments, dimension, duration"
)


@attrs.frozen
class Entry:
    """One input's row as last committed."""

    key: str
    source: str
    state: str
    size: int | None = None
    mtime_ns: int | None = None
    sha256: str | None = None
    attempt_id: str | None = None
    attempt_started: float | None = None
    attempts: int = 0
    task_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool = False
    segments: int = 0
    dimension: int = 0
    duration: float | None = None


Step = Literal["report", "poll", "retrieve", "upload"]


def next_step(state: str) -> Step:
    """What a run does first with an input found in ``state``: report it (it has ended),
    poll its task, fetch its rows, or upload it (``pending``, or ``uploading`` with an
    unknown outcome, which the upload step reconciles before sending anything)."""
    if state in DONE_STATES:
        return "report"
    if state == "processing":
        return "poll"
    if state == "ready":
        return "retrieve"
    return "upload"


def restart_state(entry: Entry, *, retry_failed: bool) -> str | None:
    """Where a new run restarts a failed input, or ``None`` to leave it failed.

    A retryable failure with a task id goes back to ``processing`` (the task is polled
    again, not uploaded again); any other failure retried goes back to ``pending``.
    Non-retryable failures stay failed unless ``retry_failed`` asks for them.
    """
    if entry.state != "failed" or not (entry.retryable or retry_failed):
        return None
    return "processing" if entry.retryable and entry.task_id is not None else "pending"


_FIELDS = [f.strip() for f in _COLUMNS.split(",")]


def _entry(row: Sequence[Any]) -> Entry:
    values = dict(zip(_FIELDS, row, strict=True))
    values["retryable"] = bool(values["retryable"])
    return Entry(**values)


class Journal:
    """``async with Journal("job.db") as journal:``; ``None`` keeps it in memory."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path is not None else None
        self._db = SingleWriterDatabase(
            self.path, _SCHEMA, name="tl-journal", check=self._check_version
        )
        self._lock: int | None = None
        self._queued: list[_Queued] = []
        self._committer: asyncio.Future[None] | None = None

    async def __aenter__(self) -> Journal:
        try:
            if self.path is not None:
                self._lock = await to_thread(_take_lock, self.path)
            await self._db.open()
        except BaseException as exc:
            await self.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise JournalError(
                    f"journal {self.path} is not a twelvelabs-embed journal ({exc})"
                ) from exc
            raise
        return self

    def _check_version(self, conn: sqlite3.Connection) -> None:
        """Refuse a newer schema, or a database that is not a journal, before writing."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > JOURNAL_VERSION:
            raise JournalError(
                f"journal {self.path} was written by a newer twelvelabs-embed (schema "
                f"{version}, this one reads {JOURNAL_VERSION}); upgrade, or use another journal"
            )
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "inputs" not in tables:
            raise JournalError(
                f"journal {self.path} is an SQLite database but not a twelvelabs-embed journal"
            )

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            if self._committer is not None:  # transitions already asked for still land
                await asyncio.gather(self._committer, return_exceptions=True)
            await self._db.close()
        finally:
            if self._lock is not None:  # after the database: closing an fd of the file
                os.close(self._lock)  # drops this process's SQLite locks on it
                self._lock = None

    @staticmethod
    def _tx(conn: sqlite3.Connection, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        with transaction(conn):
            for sql, args in statements:
                conn.execute(sql, args)

    # --- reads ---------------------------------------------------------------------

    async def register(self, inputs: Sequence[JobInput]) -> list[Entry]:
        """Add inputs not seen before (as ``pending``); every input's row, in order."""
        return await self._db.write(self._register, inputs)

    @classmethod
    def _register(cls, conn: sqlite3.Connection, inputs: Sequence[JobInput]) -> list[Entry]:
        (start,) = conn.execute("SELECT COALESCE(MAX(seq), -1) + 1 FROM inputs").fetchone()
        now = time.time()
        sql = (
            "INSERT OR IGNORE INTO inputs (key, seq, source, kind, locator, params, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        cls._tx(
            conn,
            [
                (sql, (i.key, start + n, i.source, i.kind, i.locator, i.params_json, now))
                for n, i in enumerate(inputs)
            ],
        )
        return [cls._get(conn, i.key) for i in inputs]

    @staticmethod
    def _get(conn: sqlite3.Connection, key: str) -> Entry:
        row = conn.execute(f"SELECT {_COLUMNS} FROM inputs WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return _entry(row)

    async def get(self, key: str) -> Entry:
        return await self._db.read(self._get, key)

    async def entries(self, keys: Sequence[str]) -> list[Entry]:
        """Rows as committed: after a cancelled transition its commit may still have
        landed (the statement runs to the end in the journal's thread)."""
        return await self._db.read(lambda conn: [self._get(conn, k) for k in keys])

    async def task_ids(self) -> set[str]:
        """Every task id the journal holds: tasks already claimed by some input."""

        def read(conn: sqlite3.Connection) -> set[str]:
            rows = conn.execute("SELECT task_id FROM inputs WHERE task_id IS NOT NULL")
            return {r[0] for r in rows}

        return await self._db.read(read)

    async def counts(self) -> dict[str, int]:
        def read(conn: sqlite3.Connection) -> dict[str, int]:
            rows = conn.execute("SELECT state, COUNT(*) FROM inputs GROUP BY state")
            return dict(rows.fetchall())

        return await self._db.read(read)

    # --- transitions (each one commit) ----------------------------------------------

    async def _update(self, key: str, sets: str, *args: Any, where: str = "") -> Entry:
        """One transition, committed before this returns. Transitions asked for while a
        commit is under way share the next one (group commit): with 16 uploads and 8
        retrieves in flight, one commit per transition queued them behind each other."""
        sql = f"UPDATE inputs SET {sets}, updated = ? WHERE key = ?{where}"
        done: asyncio.Future[Entry] = asyncio.get_running_loop().create_future()
        self._queued.append((sql, (*args, time.time(), key), key, done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.ensure_future(self._commit_queued())
        return await done

    async def _commit_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []

            def write(
                conn: sqlite3.Connection, batch: list[_Queued] = batch
            ) -> list[Entry | KeyError]:
                self._tx(conn, [(sql, args) for sql, args, _, _ in batch])
                out: list[Entry | KeyError] = []
                for _, _, key, _ in batch:
                    try:
                        out.append(self._get(conn, key))
                    except KeyError as exc:  # an unknown key fails its own caller only
                        out.append(exc)
                return out

            try:
                entries = await self._db.write(write)
            except BaseException as exc:
                for *_, done in batch:
                    if done.done():
                        continue
                    if isinstance(exc, asyncio.CancelledError):
                        done.cancel()
                    else:
                        done.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (*_, done), entry in zip(batch, entries, strict=True):
                if done.done():
                    continue
                if isinstance(entry, KeyError):
                    done.set_exception(entry)
                else:
                    done.set_result(entry)

    async def set_fingerprint(self, key: str, size: int, mtime_ns: int, sha256: str) -> Entry:
        return await self._update(key, "size = ?, mtime_ns = ?, sha256 = ?", size, mtime_ns, sha256)

    async def reset(self, key: str, state: str = "pending") -> Entry:
        """Start over from ``pending`` (forgetting the task), or go back to ``processing``
        or ``ready`` for a task id that is kept."""
        clear = ", task_id = NULL" if state == "pending" else ""
        return await self._update(
            key,
            f"state = ?, error_code = NULL, error_message = NULL, retryable = 0{clear}",
            state,
        )

    async def begin_upload(self, key: str, attempt_id: str, started: float) -> Entry:
        """Record the intent before any byte goes out: from here the outcome is unknown."""
        return await self._update(
            key,
            "state = 'uploading', attempt_id = ?, attempt_started = ?, attempts = attempts + 1",
            attempt_id,
            started,
        )

    async def refused(self, key: str) -> Entry:
        """The server answered the create with an error (429, 4xx): no task exists."""
        return await self._update(key, "state = 'pending'", where=" AND state = 'uploading'")

    async def created(self, key: str, task_id: str) -> Entry:
        """The task id and ``processing`` in one commit (also for an adopted task)."""
        return await self._update(
            key,
            "state = 'processing', task_id = ?, error_code = NULL, error_message = NULL",
            task_id,
        )

    async def ready(self, key: str, duration: float | None) -> Entry:
        return await self._update(key, "state = 'ready', duration = ?", duration)

    async def retrieved(self, key: str, segments: int, dimension: int) -> Entry:
        """Call only once the rows are durable: this commit is what makes them count."""
        return await self._update(
            key, "state = 'retrieved', segments = ?, dimension = ?", segments, dimension
        )

    async def failed(self, key: str, code: str, message: str, *, retryable: bool) -> Entry:
        return await self._update(
            key,
            "state = 'failed', error_code = ?, error_message = ?, retryable = ?",
            code,
            message,
            int(retryable),
        )


def _take_lock(path: Path) -> int:
    """An exclusive ``flock`` on the journal file itself (created if missing), held by the
    returned descriptor; any other name for the same file meets the same lock.

    Raises:
        JournalBusyError: another process holds it.
        JournalError: the path is a directory or cannot be opened.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except IsADirectoryError:
        raise JournalError(f"journal {path} is a directory, not a journal file") from None
    except OSError as exc:
        raise JournalError(f"journal {path} cannot be opened: {exc.strerror}") from None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no cross-process guard
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise JournalBusyError(f"journal {path} is in use by another job") from None
    return fd
