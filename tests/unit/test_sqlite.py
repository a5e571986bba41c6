"""The single-writer SQLite helper: transactions, readers, in-memory use, closing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from twelvelabs_embed._sqlite import SingleWriterDatabase, transaction

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"


def _put(conn: sqlite3.Connection, k: str, v: int) -> None:
    conn.execute("INSERT INTO t VALUES (?, ?)", (k, v))


def _count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM t").fetchone()[0])


def _two_then_fail(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        _put(conn, "a", 1)
        _put(conn, "a", 2)  # primary key: raises, so "a" = 1 must roll back too


async def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    db = SingleWriterDatabase(tmp_path / "x" / "db.sqlite3", SCHEMA, readers=2)
    await db.open()
    try:
        with pytest.raises(sqlite3.IntegrityError):
            await db.write(_two_then_fail)
        assert await db.read(_count) == 0
        await db.write(_put, "b", 1)
        assert await db.read(_count) == 1  # a reader sees the writer's commit
        with pytest.raises(sqlite3.OperationalError):  # readers are read-only
            await db.read(_put, "c", 1)
    finally:
        await db.close()
        await db.close()  # twice is fine
    with pytest.raises(RuntimeError):
        await db.write(_count)


async def test_in_memory_reads_go_through_the_writer() -> None:
    db = SingleWriterDatabase(None, SCHEMA)
    await db.open()
    try:
        await db.write(_put, "a", 1)
        assert await db.read(_count) == 1
    finally:
        await db.close()
    with pytest.raises(ValueError):
        SingleWriterDatabase(None, SCHEMA, readers=1)
