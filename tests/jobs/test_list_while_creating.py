"""Listing while tasks are being created (issue #20 item 12): page numbers shift under a
walk, so items used to repeat and others to be skipped. The walk is pinned to the moment
it started and never yields an id twice. Real engine, real creates between pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from twelvelabs_embed import AsyncTwelveLabs

pytestmark = pytest.mark.timeout(180)


async def _create(client: AsyncTwelveLabs, n: int) -> list[str]:
    ids = []
    for i in range(n):  # URL tasks: created at once (they fail later, offline; fine here)
        task = await client.embed.tasks.create(
            "marengo3.0", video_url=f"https://example.invalid/{i}.mp4"
        )
        assert task.id is not None
        ids.append(task.id)
    return ids


async def test_a_walk_sees_each_existing_task_once_while_others_are_created(
    client: AsyncTwelveLabs, engine: object, tmp_path: Path
) -> None:
    before = await _create(client, 9)
    pager = await client.embed.tasks.list(page_limit=2)
    seen: list[str] = []
    async for task in pager:
        assert task.id is not None
        seen.append(task.id)
        if len(seen) % 2 == 0:  # after each page, three newer tasks push the pages down
            await _create(client, 3)
    assert len(seen) == len(set(seen)), "an id came twice"
    assert set(seen) == set(before), "the walk skipped a task, or strayed past its start"
