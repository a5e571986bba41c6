"""``_aio.run_to_completion``: clean-up that a cancellation of its caller cannot cut short."""

from __future__ import annotations

import asyncio

import pytest

from twelvelabs_embed._aio import run_to_completion


async def test_a_cancelled_caller_waits_for_the_clean_up_then_is_cancelled() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    steps: list[str] = []

    async def clean_up() -> str:
        started.set()
        await release.wait()
        steps.append("cleaned")
        return "done"

    caller = asyncio.create_task(run_to_completion(clean_up()))
    await started.wait()
    caller.cancel()
    await asyncio.sleep(0)  # the cancellation reaches the caller while clean-up waits
    assert not caller.done() and steps == []
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert steps == ["cleaned"]


async def test_the_cancellation_wins_over_an_error_of_the_clean_up() -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def clean_up() -> None:
        started.set()
        await release.wait()
        raise OSError("disk gone")

    caller = asyncio.create_task(run_to_completion(clean_up()))
    await started.wait()
    caller.cancel()
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await caller


async def test_without_a_cancellation_it_is_a_plain_await() -> None:
    async def value() -> int:
        await asyncio.sleep(0)
        return 7

    async def broken() -> None:
        raise LookupError("x")

    assert await run_to_completion(value()) == 7
    with pytest.raises(LookupError):
        await run_to_completion(broken())
