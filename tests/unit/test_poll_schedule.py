"""The adaptive poll interval: when each task is polled, on an injected clock.

The schedule is pure (every call is told the time); the poller takes a ``clock`` and a
``sleep`` that advance a fake clock, so these run without sleeping and without any
wall-clock bound. The simulations count polls and how late each finish is seen.
"""

from __future__ import annotations

import asyncio
import math

import attrs
import pytest

from twelvelabs_embed.errors import WaitTimeoutError
from twelvelabs_embed.resources._poll_schedule import LEAD, PollSchedule
from twelvelabs_embed.resources._poller import TaskPoller

INTERVAL = 0.5


def test_before_anything_finished_every_task_is_polled_every_interval() -> None:
    s = PollSchedule(INTERVAL)
    assert s.add("a", 0.0, look_now=True) == 0.0  # a waiter's first look: right away
    assert s.add("b", 0.0, look_now=True) == 0.0
    assert s.due(0.0) == ["a", "b"]
    assert s.still_running("a", 0.02) == pytest.approx(0.52)
    assert s.still_running("b", 0.02) == pytest.approx(0.52)  # in step with "a"
    assert s.add("c", 0.3) == pytest.approx(0.8)  # just created: not done for a while
    assert s.due(0.4) == []
    assert s.due(0.52) == ["a", "b"]
    assert s.due(0.8) == ["a", "b", "c"]  # "a" and "b" were not polled at 0.52 here
    assert s.still_running("c", 0.81) == pytest.approx(1.31)
    assert s.expected() is None


def test_after_a_finish_new_tasks_are_first_polled_just_before_the_expected_time() -> None:
    s = PollSchedule(INTERVAL)
    s.add("a", 0.0)
    s.still_running("a", 0.0)
    s.finished("a", 2.0)
    assert s.expected() == 2.0
    assert s.add("b", 3.0) == pytest.approx(3.0 + LEAD * 2.0)
    assert s.due(3.0 + LEAD * 2.0 - 0.1) == []
    assert s.due(3.0 + LEAD * 2.0) == ["b"]


def test_past_the_first_poll_the_gap_doubles_up_to_the_interval() -> None:
    s = PollSchedule(INTERVAL)
    s.add("a", 0.0)
    s.finished("a", 2.0)
    s.add("b", 0.0)
    now = LEAD * 2.0
    gaps = []
    for _ in range(5):
        due = s.still_running("b", now)
        gaps.append(round(due - now, 6))
        now = due
    assert gaps == [0.125, 0.25, 0.5, 0.5, 0.5]


def test_a_task_polled_on_the_cadence_waits_for_its_first_expected_poll() -> None:
    s = PollSchedule(INTERVAL)
    s.add("slow", 0.0, look_now=True)
    s.add("fast", 0.0, look_now=True)
    s.still_running("slow", 0.0)
    s.finished("fast", 0.5)  # expected 0.5 from now on
    s.add("later", 0.5)
    s.finished("later", 10.0)
    s.add("x", 10.0)
    s.finished("x", 20.0)
    assert s.expected() == 0.5  # the lower quartile: the short ones set the pace
    assert s.still_running("slow", 0.5) == pytest.approx(0.625)  # past 0.9 x 0.5: back off


def test_the_expected_time_is_the_lower_quartile_of_the_recent_durations() -> None:
    s = PollSchedule(INTERVAL)
    for n, took in enumerate([8.0, 1.0, 4.0, 2.0, 6.0, 3.0, 7.0, 5.0]):
        s.add(f"t{n}", 100.0)
        s.finished(f"t{n}", 100.0 + took)
    assert s.expected() == 2.0


def test_a_task_that_left_with_an_error_teaches_nothing() -> None:
    s = PollSchedule(INTERVAL)
    s.add("a", 0.0)
    s.gone("a")
    assert s.expected() is None and len(s) == 0


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="sleep_interval"):
        PollSchedule(0)


# --- simulations: a job's tasks created over time, each finishing at a known time ----


@attrs.define
class Outcome:
    polls: int
    lag: list[float]
    """Per task: how long after it finished it was seen finished."""


def simulate(starts: list[float], durations: list[float], *, adaptive: bool = True) -> Outcome:
    """Drive a schedule the way the poller does: rounds at the earliest due time."""
    s = PollSchedule(INTERVAL)
    pending = sorted(range(len(starts)), key=lambda i: starts[i])
    polls, lag = 0, [math.nan] * len(starts)
    now = 0.0
    while pending or len(s):
        next_due = s.next_due()
        if pending and (next_due is None or starts[pending[0]] <= next_due):
            i = pending.pop(0)
            now = max(now, starts[i])
            s.add(str(i), now)
            continue
        assert next_due is not None
        now = max(now, next_due)
        for task_id in s.due(now):
            i = int(task_id)
            polls += 1
            if now >= starts[i] + durations[i]:
                lag[i] = now - (starts[i] + durations[i])
                s.finished(task_id, now) if adaptive else s.gone(task_id)
            else:
                s.still_running(task_id, now)
    return Outcome(polls, lag)


def test_a_steady_bulk_job_costs_about_three_polls_a_task_and_is_seen_sooner() -> None:
    n = 2000
    starts = [i * 0.006 for i in range(n)]  # 12 s of creates, 2 s of processing each
    adaptive = simulate(starts, [2.0] * n)
    regular = simulate(starts, [2.0] * n, adaptive=False)  # the old cadence, for contrast
    assert regular.polls / n >= 4.5
    assert adaptive.polls / n <= 3.3
    assert sorted(adaptive.lag)[n // 2] <= INTERVAL * 0.4 < sorted(regular.lag)[n // 2]
    assert max(adaptive.lag) <= INTERVAL * 1.125  # a round takes a task up to min_gap/2 early


def test_a_single_wave_is_seen_sooner_for_a_few_polls_more() -> None:
    """All created before the first finishes: the first polls are the regular cadence."""
    n = 500
    starts = [i * 0.003 for i in range(n)]
    adaptive = simulate(starts, [2.0] * n)
    regular = simulate(starts, [2.0] * n, adaptive=False)
    assert adaptive.polls <= regular.polls + n
    assert sorted(adaptive.lag)[n // 2] < sorted(regular.lag)[n // 2]


def test_mixed_durations_are_never_seen_later_than_on_the_regular_cadence() -> None:
    n = 200
    starts = [i * 0.01 for i in range(n)]
    durations = [1.0 if i % 4 == 0 else 30.0 + (i % 7) for i in range(n)]
    adaptive = simulate(starts, durations)
    regular = simulate(starts, durations, adaptive=False)
    assert max(adaptive.lag) <= INTERVAL * 1.125
    # the long ones: polled from 0.9 s on, backing off to the cadence (two extra at most)
    assert adaptive.polls <= regular.polls + 2 * n


def test_an_expectation_that_is_too_long_shrinks_to_the_real_time() -> None:
    s = PollSchedule(INTERVAL)
    for n in range(16):  # a first batch took 6 s
        s.add(f"old{n}", 0.0)
        s.finished(f"old{n}", 6.0)
    now = 10.0
    for n in range(200):  # now tasks take 1 s, one after another
        task_id = f"new{n}"
        start = now
        now = s.add(task_id, now)
        while now < start + 1.0:
            now = s.still_running(task_id, now)
        s.finished(task_id, now)
    expected = s.expected()
    assert expected is not None and 1.0 <= expected <= 1.0 + INTERVAL


# --- the poller on a fake clock ------------------------------------------------------


@attrs.frozen
class Status:
    status: str

    @property
    def done(self) -> bool:
        return self.status == "ready"


class FakeTime:
    """A clock that moves only when the poller sleeps; every poll is logged."""

    def __init__(self) -> None:
        self.now = 0.0
        self.polls: list[tuple[float, str]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float | None, wake: asyncio.Event) -> None:
        assert seconds is not None, "the poller would wait forever"
        self.now += seconds
        await asyncio.sleep(0)


async def test_the_poller_polls_on_its_schedule_and_learns_from_finished_tasks() -> None:
    t = FakeTime()
    finish = {"short": 1.0, "long": 3.0}

    async def fetch(task_id: str) -> Status:
        t.polls.append((t.now, task_id))
        return Status("ready" if t.now >= finish[task_id] else "processing")

    poller: TaskPoller[Status] = TaskPoller(
        fetch, sleep_interval=INTERVAL, concurrency=4, clock=t.clock, sleep=t.sleep
    )
    poller.add("short")
    poller.add("long")
    seen = [a.task_id async for answers in poller.rounds() for a in answers if a.status.done]  # type: ignore[union-attr]
    assert seen == ["short", "long"]
    long_polls = [round(at, 6) for at, task_id in t.polls if task_id == "long"]
    # the cadence until "short" finished at 1.0, then backing off from 0.9 x 1.0
    assert long_polls == [0.0, 0.5, 1.0, 1.125, 1.375, 1.875, 2.375, 2.875, 3.375]
    assert poller.schedule.expected() == 1.0


async def test_the_poller_times_out_on_the_injected_clock() -> None:
    t = FakeTime()

    async def fetch(task_id: str) -> Status:
        t.polls.append((t.now, task_id))
        return Status("processing")

    poller: TaskPoller[Status] = TaskPoller(
        fetch, sleep_interval=INTERVAL, concurrency=1, timeout=2.2, clock=t.clock, sleep=t.sleep
    )
    poller.add("t")
    with pytest.raises(WaitTimeoutError) as info:
        async for _ in poller.rounds():
            pass
    assert info.value.task_id == "t"
    assert [at for at, _ in t.polls] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert t.now == pytest.approx(2.2)


async def test_a_task_added_while_the_poller_runs_is_first_polled_an_interval_later() -> None:
    """A job adds each task as it creates it: polling it at once would find it at work."""
    t = FakeTime()
    finish = {"first": 0.75, "created": 0.25 + 0.6}

    async def fetch(task_id: str) -> Status:
        t.polls.append((t.now, task_id))
        if task_id == "first" and len(t.polls) == 1:
            t.now = 0.25
            poller.add("created")  # created while the first round is in flight
        return Status("ready" if t.now >= finish[task_id] else "processing")

    poller: TaskPoller[Status] = TaskPoller(
        fetch, sleep_interval=INTERVAL, concurrency=4, clock=t.clock, sleep=t.sleep
    )
    poller.add("first")
    async for _ in poller.rounds():
        pass
    assert [(round(at, 6), task_id) for at, task_id in t.polls] == [
        (0.0, "first"),  # added before the rounds began: looked at at once (its answer
        (0.75, "first"),  # came at 0.25, so the next look is an interval after that)
        (0.75, "created"),  # 0.25 + the interval; "first" is done: it took 0.75
        (0.925, "created"),  # 0.25 + 0.9 x 0.75
    ]


def test_a_short_task_after_long_ones_waits_at_most_four_intervals() -> None:
    """The estimate from long tasks must not leave a short task for the long ones' time."""
    s = PollSchedule(5.0)
    for i in range(8):
        s.add(f"long{i}", 0.0)
        s.finished(f"long{i}", 60.0)  # they took 60 s
    assert s.expected() == 60.0
    assert s.add("short", 100.0) == 100.0 + 4 * 5.0  # not 100 + 54
    assert s.still_running("short", 120.0) == 120.0 + 4 * 5.0  # again at most 4 intervals
