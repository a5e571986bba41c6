"""create_bulk: bounded concurrency, one result per input, no failure hidden."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import twelvelabs_embed as tl
from tests.client.conftest import make_client
from tests.engine_double import EngineDouble
from tests.fakeplatform import FakePlatform, Fault


@pytest.fixture
def client(engine_client: tl.AsyncTwelveLabs) -> tl.AsyncTwelveLabs:
    """In this module ``client`` talks to the engine."""
    return engine_client


async def test_every_input_gets_a_result_in_order(double: EngineDouble, tmp_path: Path) -> None:
    await double.control.lifecycle.set("manual")  # URL tasks are never fetched
    await double.control.faults.add(
        "create_task", status=400, code="video_file_broken", message="bad", count=1
    )
    videos = [
        {"video_url": "https://example.com/0.mp4"},  # meets the scripted 400
        {"video_url": "https://example.com/1.mp4", "video_clip_length": 4},
        {"video_url": "ftp://example.com/2.mp4"},  # refused by preflight
        {"video_file": tmp_path / "missing.mp4"},  # cannot be read
        {"video_url": "https://example.com/4.mp4", "model_name": "Marengo-retrieval-2.7"},
    ]
    finished: list[int] = []
    async with make_client(double) as client:
        results = await client.embed.tasks.create_bulk(
            videos, concurrency=1, on_result=lambda r: finished.append(r.index)
        )
        assert [r.index for r in results] == [0, 1, 2, 3, 4]
        assert [r.ok for r in results] == [False, True, False, False, True]
        assert isinstance(results[0].error, tl.VideoFileBrokenError)
        assert isinstance(results[2].error, tl.ParameterInvalidError) and results[2].error.preflight
        assert isinstance(results[3].error, FileNotFoundError)
        assert results[1].response is not None and results[4].response is not None
        created = await client.embed.tasks.retrieve(results[4].response.id)
        assert created.model_name == "Marengo-retrieval-2.7"
    sent = {r.task_id: r.form for r in await double.requests("create_task")}
    assert len(sent) == 3, "the refused create and two tasks; nothing for the others"
    assert sent[results[1].response.id]["video_clip_length"] == "4"  # type: ignore[index]
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


async def test_bad_concurrency(client: tl.AsyncTwelveLabs) -> None:  # bound to the engine
    with pytest.raises(ValueError):
        await client.embed.tasks.create_bulk([], concurrency=0)


async def test_a_failing_callback_stops_the_batch(double: EngineDouble) -> None:
    def explode(result: tl.BulkResult) -> None:
        raise RuntimeError("callback failed")

    await double.control.lifecycle.set("manual")  # URL tasks are never fetched
    async with make_client(double) as client:
        with pytest.raises(RuntimeError, match="callback failed"):
            await client.embed.tasks.create_bulk(
                [{"video_url": f"https://example.com/{i}.mp4"} for i in range(5)],
                concurrency=1,
                on_result=explode,
            )
        from tests.observe import package_tasks

        # nothing of the batch is left running that could send another create
        assert await package_tasks(client) == []
    # one create was answered, and the failing callback let no other create start
    first, *others = await double.requests("create_task")
    assert first.status == 200 and first.task_id is not None
    assert others == []
