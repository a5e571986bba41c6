"""The pure retry decisions, as tables."""

from __future__ import annotations

import email.utils

import pytest

from twelvelabs_embed._retry import (
    backoff_delay,
    parse_retry_after,
    retry_delay,
    should_retry_response,
    should_retry_status,
)

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "junk", "retry-after": "9"}, 9.0),
        ({"retry-after": "-4"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": email.utils.formatdate(NOW + 20, usegmt=True)}, 20.0),
        ({"retry-after": email.utils.formatdate(NOW - 20, usegmt=True)}, 0.0),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=lambda: NOW) == expected


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (400, False),
        (401, False),
        (404, False),
        (422, False),
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (503, True),
        (599, True),
    ],
)
def test_should_retry_status(status: int, retry: bool) -> None:
    assert should_retry_status(status) is retry


def test_server_can_veto_or_force() -> None:
    assert should_retry_response(503, {"x-should-retry": "false"}) is False
    assert should_retry_response(400, {"x-should-retry": "true"}) is True


@pytest.mark.parametrize(
    ("attempt", "lo", "hi"),
    [(0, 0.375, 0.5), (1, 0.75, 1.0), (2, 1.5, 2.0), (4, 6.0, 8.0), (9, 6.0, 8.0)],
)
def test_backoff_bounds(attempt: int, lo: float, hi: float) -> None:
    assert backoff_delay(attempt, rng=lambda: 0.0) == hi
    assert backoff_delay(attempt, rng=lambda: 1.0) == pytest.approx(lo)


def test_server_hint_wins_only_when_sane() -> None:
    assert retry_delay(0, {"retry-after": "30"}, rng=lambda: 0.0) == 30.0
    assert retry_delay(0, {"retry-after": "600"}, rng=lambda: 0.0) == 0.5
    assert retry_delay(3, None, rng=lambda: 0.0) == 4.0


@pytest.mark.parametrize(
    ("failures", "give_up_after", "expected_calls", "expected_sleeps"),
    [
        (0, 3, 1, []),
        (2, 3, 3, [0.5, 1.0]),
        (5, 3, 3, [0.5, 1.0]),  # the third failure is not retried: it is raised
    ],
)
async def test_with_attempts_retries_then_returns_or_raises(
    failures: int, give_up_after: int, expected_calls: int, expected_sleeps: list[float]
) -> None:
    from twelvelabs_embed._retry import with_attempts

    calls: list[int] = []
    sleeps: list[float] = []

    async def attempt(number: int) -> str:
        calls.append(number)
        if number < failures:
            raise ConnectionError(f"attempt {number}")
        return "ok"

    def retry_in(exc: Exception, number: int) -> float | None:
        assert isinstance(exc, ConnectionError)
        return None if number + 1 >= give_up_after else 0.5 * 2**number

    async def sleep(delay: float) -> None:
        sleeps.append(delay)

    if failures >= give_up_after:
        with pytest.raises(ConnectionError, match=f"attempt {give_up_after - 1}"):
            await with_attempts(attempt, retry_in, sleep=sleep)
    else:
        assert await with_attempts(attempt, retry_in, sleep=sleep) == "ok"
    assert calls == list(range(expected_calls)) and sleeps == expected_sleeps
