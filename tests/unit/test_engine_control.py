"""The control plane's pure state: fault rules, rate-limit windows, the clock, lifecycle."""

from __future__ import annotations

import pytest

from twelvelabs_embed.jobs.gate import RateGate
from twelvelabs_embed.local.control.clock import EngineClock
from twelvelabs_embed.local.control.faults import FaultBook, FaultSpecError, parse_header
from twelvelabs_embed.local.control.lifecycle import Lifecycle
from twelvelabs_embed.local.control.limits import RateLimits


def strikes(book: FaultBook, n: int, now: int = 0, route: str = "create_task") -> list[bool]:
    return [book.strike(route, "POST", now) is not None for _ in range(n)]


def test_skip_then_count_then_retire() -> None:
    book = FaultBook()
    book.add({"route": "create_task", "action": {"status": 503}, "skip": 1, "count": 2}, 0)
    assert strikes(book, 5) == [False, True, True, False, False]
    assert strikes(book, 1, route="task_status") == [False]
    (rule,) = book.rules()
    assert (rule.seen, rule.hits, rule.retired) == (3, 2, True)


def test_method_ttl_and_order() -> None:
    book = FaultBook()
    first = book.add({"route": "*", "method": "get", "action": {"latency_ms": 5}, "ttl_sec": 1}, 0)
    second = book.add({"route": "*", "action": {"status": 500}}, 0)
    assert book.strike("list_tasks", "GET", 999) is first
    assert book.strike("list_tasks", "GET", 1000) is second  # the first one expired
    assert book.strike("create_task", "POST", 0) is second


def test_probability_is_seeded() -> None:
    def run(seed: int) -> list[bool]:
        book = FaultBook(seed)
        book.add({"action": {"status": 503}, "probability": 0.5}, 0)
        return strikes(book, 40)

    assert run(1) == run(1) and run(1) != run(2) and 5 < sum(run(1)) < 35


@pytest.mark.parametrize(
    "body",
    [
        {"action": {}},
        {"action": {"status": 700}},
        {"action": {"status": 503, "drop_connection": True}},
        {"action": {"status": 503}, "count": 0},
        {"action": {"status": 503}, "probability": 2},
        {"action": {"status": 503}, "phase": "during"},
        {"action": {"status": 503}, "colour": "red"},
        {"action": {"latency_ms": -1}},
        "not an object",
    ],
)
def test_bad_rules_say_why(body: object) -> None:
    with pytest.raises(FaultSpecError):
        FaultBook().add(body, 0)


def test_header_forms() -> None:
    assert parse_header("503").status == 503
    assert parse_header("503").code == "service_unavailable"
    assert parse_header("drop_connection").drop_connection
    assert parse_header("latency_ms=80").latency_ms == 80
    custom = parse_header("status=429;code=too_many_requests;message=slow down")
    assert (custom.status, custom.code, custom.message) == (429, "too_many_requests", "slow down")
    for bad in ("", "status=x", "colour=red", "503;"):
        with pytest.raises(FaultSpecError):
            parse_header(bad)


def test_request_windows_and_headers() -> None:
    limits = RateLimits()
    limits.set({"limits": [{"route": "create_task", "limit": 2, "window_sec": 10}]}, 0)
    assert limits.admit("create_task", 0) is None and limits.admit("create_task", 1) is None
    refusal = limits.admit("create_task", 4000)
    assert refusal is not None and refusal.retry_after_ms == 6000
    headers = limits.headers("create_task", 4000)
    assert headers["x-ratelimit-request-remaining"] == "0"
    assert headers["x-ratelimit-request-reset"] == "6"
    assert headers["x-ratelimit-reset"] == "10"  # epoch seconds
    assert limits.headers("list_tasks", 4000) == {}
    assert limits.admit("create_task", 10_000) is None  # a new window
    gate = RateGate(clock=lambda: 0.0, wall=lambda: 4.0)
    gate.succeeded(headers)  # the SDK's gate: nothing left, wait for the reset
    assert gate.delay() == pytest.approx(6.0)


def test_duration_is_charged_in_seconds_of_video() -> None:
    limits = RateLimits()
    body = {"route": "*", "dimension": "duration", "limit_minutes": 1, "window_sec": 3600}
    limits.set({"limits": [body]}, 0)
    limits.charge_duration("create_task", 45.0, 0)
    assert limits.admit("create_task", 0) is None  # 45 s of 60 used
    limits.charge_duration("create_task", 20.0, 0)
    assert limits.admit("create_task", 0) is not None
    assert limits.headers("create_task", 0)["x-ratelimit-duration-remaining"] == "0"


def test_clock_modes() -> None:
    wall = [100.0]
    clock = EngineClock(lambda: wall[0])
    assert (clock.now_ms(), clock.mode) == (100_000, "real")
    clock.advance(5000)
    wall[0] = 101.0
    assert (clock.now_ms(), clock.mode) == (106_000, "offset")
    clock.freeze(0)
    wall[0] = 200.0
    clock.advance(10)
    assert (clock.now_ms(), clock.mode) == (10, "frozen")
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.real()
    assert clock.now_ms() == 200_000


def test_lifecycle_parks_delays_and_releases() -> None:
    life = Lifecycle()
    resubmitted: list[str] = []
    assert life.decide("a", resubmitted.append) == "run"
    life.set({"mode": "manual"})
    assert life.decide("a", resubmitted.append) == "park"
    life.hold("b")
    assert life.decide("b", resubmitted.append) == "park"
    life.set({"mode": "auto", "processing_delay_ms": 250})
    assert resubmitted == ["a"]  # b is still held
    assert life.decide("a", resubmitted.append) == 0.25
    assert life.decide("a", resubmitted.append) == "run"  # delayed once
    life.release("b")
    assert resubmitted == ["a", "b"]
