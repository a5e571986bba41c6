"""create_bulk: bounded concurrency, one result per input, no failure hidden."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import twelvelabs_embed as tl
from tests.client.conftest import make_client
from tests.fakeplatform import FakePlatform, Fault


async def test_every_input_gets_a_result_in_order(fake: FakePlatform, tmp_path: Path) -> None:
    fake.script("POST", "create", Fault(400, json={"code": "video_file_broken", "message": "bad"}))
    videos = [
        {"video_url": "https://example.com/0.mp4"},  # meets the scripted 400
        {"video_url": "https://example.com/1.mp4", "video_clip_length": 4},
        {"video_url": "ftp://example.com/2.mp4"},  # refused by preflight
        {"video_file": tmp_path / "missing.mp4"},  # cannot be read
        {"video_url": "https://example.com/4.mp4", "model_name": "Marengo-retrieval-2.7"},
    ]
    finished: list[int] = []
    async with make_client(fake) as client:
        results = await client.embed.tasks.create_bulk(
            videos, concurrency=1, on_result=lambda r: finished.append(r.index)
        )
    assert [r.index for r in results] == [0, 1, 2, 3, 4]
    assert [r.ok for r in results] == [False, True, False, False, True]
    assert isinstance(results[0].error, tl.VideoFileBrokenError)
    assert isinstance(results[2].error, tl.ParameterInvalidError) and results[2].error.preflight
    assert isinstance(results[3].error, FileNotFoundError)
    assert results[4].response is not None
    assert fake.tasks[results[4].response.id or ""].model_name == "Marengo-retrieval-2.7"
    assert fake.tasks[results[1].response.id or ""].fields["video_clip_length"] == ["4"]  # type: ignore[union-attr]
    assert sorted(finished) == [0, 1, 2, 3, 4]
    assert results[1].input is videos[1]


async def test_concurrency_is_bounded(fake: FakePlatform) -> None:
    # No create is answered until three are in flight at once: the batch reaches its
    # concurrency (or the test hangs), and a fourth cannot be on the wire meanwhile.
    three = fake.when_in_flight(3)
    fake.script("POST", "create", *[Fault(hold=three, json={"_id": f"{i:024x}"}) for i in range(6)])
    async with make_client(fake) as client:
        results = await asyncio.wait_for(
            client.embed.tasks.create_bulk(
                [{"video_url": f"https://example.com/{i}.mp4"} for i in range(6)], concurrency=3
            ),
            60,  # a hang guard only
        )
    assert all(r.ok for r in results)
    assert fake.count("POST", "create") == 6
    assert fake.max_in_flight == 3


async def test_bad_concurrency(client: tl.AsyncTwelveLabs) -> None:
    with pytest.raises(ValueError):
        await client.embed.tasks.create_bulk([], concurrency=0)


async def test_a_failing_callback_stops_the_batch(fake: FakePlatform) -> None:
    def explode(result: tl.BulkResult) -> None:
        raise RuntimeError("callback failed")

    async with make_client(fake) as client:
        with pytest.raises(RuntimeError, match="callback failed"):
            await client.embed.tasks.create_bulk(
                [{"video_url": f"https://example.com/{i}.mp4"} for i in range(5)],
                concurrency=1,
                on_result=explode,
            )
        from tests.observe import package_tasks

        # nothing of the batch is left running that could send another create
        assert await package_tasks(client) == []
    assert fake.count("POST", "create") == 1
