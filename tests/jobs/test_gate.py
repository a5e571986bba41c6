"""The rate gate on its own: a fake clock, no network."""

from __future__ import annotations

import asyncio

import pytest

from tests.observe import settle
from twelvelabs_embed.jobs.gate import RateGate

WALL = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_429_closes_the_gate_for_everyone_for_retry_after() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    await gate.acquire()
    await gate.acquire()
    assert gate.limited({"retry-after": "3"}) == 3.0
    assert gate.delay() == pytest.approx(3.0)
    waiter = asyncio.ensure_future(gate.acquire())
    await settle()  # the fake clock never moves by itself: only the gate can hold it
    assert not waiter.done(), "a coroutine that never saw the 429 waits too"
    clock.now += 3.0
    gate.released()  # any release wakes the waiters to look again
    await asyncio.wait_for(waiter, 1)


async def test_after_a_429_one_create_at_a_time_then_the_window_doubles() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    await gate.acquire()
    gate.limited({"retry-after-ms": "10"})
    clock.now += 1
    await gate.acquire()  # the probe
    second = asyncio.ensure_future(gate.acquire())
    await settle()
    assert not second.done(), "only one create in flight right after a 429"
    gate.succeeded({})
    await asyncio.wait_for(second, 1)
    await asyncio.wait_for(gate.acquire(), 1)  # window is 2 now


async def test_no_retry_after_uses_growing_backoff() -> None:
    gate = RateGate(clock=Clock())
    first = gate.limited({})
    second = gate.limited({})
    assert 0.3 <= first <= 0.5 and 0.7 <= second <= 1.0


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "7"}, 7.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(WALL + 12)}, 12.0),  # epoch
        ({"x-ratelimit-request-remaining": "0", "x-ratelimit-request-reset": "4"}, 4.0),
        ({"x-ratelimit-duration-remaining": "0", "x-ratelimit-reset": "9"}, 9.0),
        ({"x-ratelimit-duration-remaining": "3600", "x-ratelimit-reset": "9"}, 0.0),
        ({"x-ratelimit-remaining": "5", "x-ratelimit-reset": "9"}, 0.0),
    ],
)
async def test_remaining_headers_pace_creates(headers: dict[str, str], wait: float) -> None:
    gate = RateGate(clock=Clock(), wall=lambda: WALL)
    await gate.acquire()
    gate.succeeded(headers)
    assert gate.delay() == pytest.approx(wait)


async def test_creates_in_flight_spend_the_reported_budget() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    for _ in range(3):
        await gate.acquire()
    gate.succeeded({"x-ratelimit-remaining": "2", "x-ratelimit-reset": "5"})
    # two creates are still in flight and will use the 2 left: the next one waits
    assert gate.delay() == pytest.approx(5.0)
