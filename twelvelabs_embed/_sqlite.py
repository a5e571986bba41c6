"""One SQLite database, one writer: the pattern behind the engine's task store and the
bulk-job journal.

datasette's rule (``datasette/database.py``): one object owns the database, and callers
never touch ``sqlite3``. Every write runs in one dedicated thread on the only writable
connection, so writes never contend and each multi-statement change is one
``BEGIN IMMEDIATE`` transaction (:func:`transaction`). Reads run on a small pool of
read-only connections (WAL lets them proceed while a write is in progress), or, with
``readers=0`` (an in-memory database), in the writer's thread too. The event loop never
blocks on disk.

Not imported by ``import twelvelabs_embed``: only the jobs and the engine load it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from ._aio import to_thread

P = ParamSpec("P")
T = TypeVar("T")

BUSY_TIMEOUT_SEC = 30.0
MMAP_BYTES = 0x7FFF0000
READER_CACHE_KIB = 32 * 1024


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` when the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _connect(target: str, *, read_only: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(
        target, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_SEC
    )
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SEC * 1000)}")
    if read_only:
        conn.execute("PRAGMA query_only = 1")
        # Readers map the file (up to SQLite's default 2 GB cap) instead of copying each
        # page through read(): a large store's random reads cost about half as much.
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        # and keep the hot pages (a 100,000-task table and its indexes) in their own cache
        conn.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
    return conn


class SingleWriterDatabase:
    """An SQLite file (or ``None``: in memory) with one writer thread and ``readers``
    reader threads.

    Args:
        path: the database file; its folder is created. ``None`` keeps it in memory,
            which needs ``readers=0`` (every connection would see its own database).
        schema: SQL run once on open (``CREATE TABLE IF NOT EXISTS ...``).
        readers: read-only connections, one per reader thread; 0 reads in the writer.
        name: thread-name prefix, to tell the databases apart in a stack dump.
        check: run on the writer connection before anything is written (a version
            check); what it raises is what ``open`` raises.
    """

    def __init__(
        self,
        path: Path | None,
        schema: str,
        *,
        readers: int = 0,
        name: str = "tl-sqlite",
        check: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        if path is None and readers:
            raise ValueError("an in-memory database has no separate readers")
        self._path = path
        self._schema = schema
        self._check = check
        self._readers_n = readers
        self._name = name
        self._writer: ThreadPoolExecutor | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._wconn: sqlite3.Connection | None = None
        self._local = threading.local()
        self._rconns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    async def open(self) -> None:
        self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"{self._name}-writer")
        if self._readers_n:
            self._readers = ThreadPoolExecutor(
                self._readers_n, thread_name_prefix=f"{self._name}-read"
            )
        try:
            await self._in(self._writer, self._open_writer)
        except BaseException:
            await self.close()
            raise

    def _open_writer(self) -> None:
        target = ":memory:"
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            target = str(self._path)
        conn = _connect(target, read_only=False)
        try:
            if self._check is not None:
                self._check(conn)
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL survives a killed process (the WAL is in the OS cache); only power
            # loss can drop the last commits, which both owners tolerate.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(self._schema)
        except BaseException:
            conn.close()
            raise
        self._wconn = conn

    async def close(self) -> None:
        """Wait for queued statements, then close every connection. Closing twice is fine."""
        writer, readers = self._writer, self._readers
        self._writer = self._readers = None
        if readers is not None:
            await to_thread(readers.shutdown, True)
        if writer is not None:
            await to_thread(writer.shutdown, True)
        with self._lock:
            conns, self._rconns = self._rconns, []
        for conn in conns:
            conn.close()
        if self._wconn is not None:
            self._wconn.close()
            self._wconn = None

    async def write(
        self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kw: P.kwargs
    ) -> T:
        """Run ``fn(connection, *args)`` in the writer thread; wrap several statements
        in :func:`transaction`."""
        return await self._in(self._writer, self._with_writer, fn, *args, **kw)

    async def read(
        self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kw: P.kwargs
    ) -> T:
        """Run ``fn(connection, *args)`` on a read-only connection (or the writer's)."""
        if self._readers_n == 0:
            return await self.write(fn, *args, **kw)
        return await self._in(self._readers, self._with_reader, fn, *args, **kw)

    def _with_writer(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        if self._wconn is None:
            raise RuntimeError("the database is not open")
        return fn(self._wconn, *args, **kw)

    def _with_reader(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            assert self._path is not None
            conn = _connect(str(self._path), read_only=True)
            self._local.conn = conn
            with self._lock:
                self._rconns.append(conn)
        return fn(conn, *args, **kw)

    async def _in(
        self, pool: ThreadPoolExecutor | None, fn: Callable[..., T], *args: Any, **kw: Any
    ) -> T:
        if pool is None:
            raise RuntimeError("the database is not open")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, functools.partial(fn, *args, **kw))
