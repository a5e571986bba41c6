"""The journal's transitions as a table, run against its real SQL (SQLite in memory):
from each state, each change, and the row it leaves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from twelvelabs_embed.jobs.identity import JobInput
from twelvelabs_embed.jobs.journal import Entry, Journal

INPUT = JobInput("a.mp4", "file", "/videos/a.mp4", {"model_name": "marengo3.0"})
KEY = INPUT.key

Change = Callable[[Journal], Awaitable[Entry]]

PATHS: dict[str, list[Change]] = {
    "pending": [],
    "uploading": [lambda j: j.begin_upload(KEY, "attempt-1", 100.0)],
    "processing": [
        lambda j: j.begin_upload(KEY, "attempt-1", 100.0),
        lambda j: j.created(KEY, "task-1"),
    ],
    "ready": [
        lambda j: j.begin_upload(KEY, "attempt-1", 100.0),
        lambda j: j.created(KEY, "task-1"),
        lambda j: j.ready(KEY, 12.5),
    ],
    "retrieved": [
        lambda j: j.begin_upload(KEY, "attempt-1", 100.0),
        lambda j: j.created(KEY, "task-1"),
        lambda j: j.ready(KEY, 12.5),
        lambda j: j.retrieved(KEY, 3, 512),
    ],
    "failed": [
        lambda j: j.begin_upload(KEY, "attempt-1", 100.0),
        lambda j: j.created(KEY, "task-1"),
        lambda j: j.failed(KEY, "wait_timeout", "too slow", retryable=True),
    ],
}

CHANGES: dict[str, Change] = {
    "begin_upload": lambda j: j.begin_upload(KEY, "attempt-2", 200.0),
    "refused": lambda j: j.refused(KEY),
    "created": lambda j: j.created(KEY, "task-2"),
    "ready": lambda j: j.ready(KEY, 7.0),
    "retrieved": lambda j: j.retrieved(KEY, 4, 256),
    "failed": lambda j: j.failed(KEY, "video_file_broken", "broken", retryable=False),
    "reset": lambda j: j.reset(KEY),
    "reset_processing": lambda j: j.reset(KEY, "processing"),
}

TABLE: list[tuple[str, str, dict[str, Any]]] = [
    # an upload attempt: a fresh attempt id and time, counted, from wherever a run starts it
    ("pending", "begin_upload", {"state": "uploading", "attempt_id": "attempt-2", "attempt_started": 200.0, "attempts": 1}),
    ("uploading", "begin_upload", {"state": "uploading", "attempt_id": "attempt-2", "attempts": 2}),
    # refused: back to pending, but only from uploading (a late answer changes nothing else)
    ("uploading", "refused", {"state": "pending", "task_id": None, "attempts": 1}),
    ("pending", "refused", {"state": "pending"}),
    ("processing", "refused", {"state": "processing", "task_id": "task-1"}),
    ("retrieved", "refused", {"state": "retrieved", "task_id": "task-1"}),
    # created: the task id and processing in one commit; an old error is cleared
    ("uploading", "created", {"state": "processing", "task_id": "task-2", "error_code": None}),
    ("failed", "created", {"state": "processing", "task_id": "task-2", "error_code": None, "error_message": None}),
    ("processing", "ready", {"state": "ready", "duration": 7.0, "task_id": "task-1"}),
    ("ready", "retrieved", {"state": "retrieved", "segments": 4, "dimension": 256, "duration": 12.5}),
    ("processing", "failed", {"state": "failed", "error_code": "video_file_broken", "error_message": "broken", "retryable": False, "task_id": "task-1"}),
    ("uploading", "failed", {"state": "failed", "error_code": "video_file_broken", "task_id": None}),
    # reset: pending forgets the task and the error; processing keeps the task
    ("failed", "reset", {"state": "pending", "task_id": None, "error_code": None, "error_message": None, "retryable": False}),
    ("retrieved", "reset", {"state": "pending", "task_id": None, "segments": 3}),
    ("failed", "reset_processing", {"state": "processing", "task_id": "task-1", "error_code": None, "retryable": False}),
    ("retrieved", "reset_processing", {"state": "processing", "task_id": "task-1"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "change", "expect"), TABLE, ids=[f"{s}-{c}" for s, c, _ in TABLE]
)
async def test_transition(start: str, change: str, expect: dict[str, Any]) -> None:
    async with Journal(None) as journal:
        (entry,) = await journal.register([INPUT])
        assert entry.state == "pending"
        for step in PATHS[start]:
            entry = await step(journal)
        assert entry.state == start
        after = await CHANGES[change](journal)
        assert after == await journal.get(KEY), "the returned row is the committed row"
        assert {name: getattr(after, name) for name in expect} == expect


async def test_registering_again_keeps_rows_and_order() -> None:
    other = JobInput("b.mp4", "file", "/videos/b.mp4", {"model_name": "marengo3.0"})
    async with Journal(None) as journal:
        await journal.register([INPUT])
        await journal.begin_upload(KEY, "attempt-1", 1.0)
        rows = await journal.register([other, INPUT])
        assert [(r.source, r.state) for r in rows] == [("b.mp4", "pending"), ("a.mp4", "uploading")]
        assert await journal.counts() == {"pending": 1, "uploading": 1}


async def test_a_task_id_belongs_to_one_input() -> None:
    import sqlite3

    other = JobInput("b.mp4", "file", "/videos/b.mp4", {"model_name": "marengo3.0"})
    async with Journal(None) as journal:
        await journal.register([INPUT, other])
        await journal.created(KEY, "task-1")
        with pytest.raises(sqlite3.IntegrityError):
            await journal.created(other.key, "task-1")
        assert await journal.task_ids() == {"task-1"}
        assert (await journal.get(other.key)).state == "pending", "the failed commit rolled back"


async def test_concurrent_transitions_share_commits_and_answer_each_caller(tmp_path: Any) -> None:
    """Many transitions at once (the group commit): each caller gets its own row, an
    unknown key fails only its own caller, and every change is in the file afterwards."""
    import asyncio

    inputs = [JobInput(f"v{i}.mp4", "file", f"/videos/v{i}.mp4", {}) for i in range(40)]
    path = tmp_path / "job.db"
    async with Journal(path) as journal:
        await journal.register(inputs)
        got = await asyncio.gather(
            *(journal.begin_upload(i.key, f"attempt-{n}", float(n)) for n, i in enumerate(inputs)),
            journal.ready("no-such-key", 1.0),
            return_exceptions=True,
        )
        *entries, unknown = got
        assert isinstance(unknown, KeyError)
        assert [(e.key, e.state, e.attempt_id) for e in entries] == [  # type: ignore[union-attr]
            (i.key, "uploading", f"attempt-{n}") for n, i in enumerate(inputs)
        ]
        await asyncio.gather(*(journal.created(i.key, f"task-{i.key}") for i in inputs))
    async with Journal(path) as again:
        rows = await again.entries([i.key for i in inputs])
    assert {(e.state, e.task_id) for e in rows} == {("processing", f"task-{i.key}") for i in inputs}
