"""Retry decisions, and the one loop that applies them.

The decisions are pure and table-tested. Policy (Stainless-style, fixing the official
SDK's quirks): connection errors, timeouts, 408, 409, 429 and 5xx are retried
``max_retries`` times (default 2). The wait is the server's hint when it gives a sane one
(``retry-after-ms``, then ``retry-after`` as seconds or an HTTP date, used when
0 <= hint <= 60 s; 0 or a past date retries at once), otherwise exponential backoff
``min(0.5 * 2**attempt, 8)`` seconds shortened by up to 25 % of random jitter.

:func:`with_attempts` is the one attempts-with-backoff loop: the transport's retries and
a bulk job's create and retrieve all run through it, each with its own ``retry_in``.
Whether an error is worth retrying at all is decided once, in :mod:`.errors`
(``exc.retryable``), from :func:`should_retry_response`.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({408, 409, 429})
MAX_SERVER_HINT_SEC = 60.0
INITIAL_BACKOFF_SEC = 0.5
MAX_BACKOFF_SEC = 8.0
JITTER_FRACTION = 0.25


def should_retry_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def should_retry_response(status: int, headers: Mapping[str, str]) -> bool:
    """The server may veto or force a retry with ``x-should-retry: true|false``."""
    hint = (_get(headers, "x-should-retry") or "").strip().lower()
    if hint == "true":
        return True
    if hint == "false":
        return False
    return should_retry_status(status)


def _get(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, v in headers.items():
            if key.lower() == name:
                return v
    return value


def parse_retry_after(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds the server asks us to wait, or ``None`` when it gives no usable hint."""
    ms = _get(headers, "retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000.0
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = _get(headers, "retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        value = email.utils.mktime_tz(parsed) - now()
    if not math.isfinite(value):
        return None
    return max(value, 0.0)


def backoff_delay(attempt: int, *, rng: Callable[[], float] = random.random) -> float:
    """Delay before retry number ``attempt`` (0-based) with no server hint."""
    base = min(INITIAL_BACKOFF_SEC * 2.0**attempt, MAX_BACKOFF_SEC)
    return base * (1.0 - JITTER_FRACTION * rng())


def retry_delay(
    attempt: int,
    headers: Mapping[str, str] | None = None,
    *,
    rng: Callable[[], float] = random.random,
    now: Callable[[], float] = time.time,
) -> float:
    """The wait before retry number ``attempt``: a sane server hint wins over backoff."""
    if headers:
        hint = parse_retry_after(headers, now=now)
        if hint is not None and hint <= MAX_SERVER_HINT_SEC:
            return hint
    return backoff_delay(attempt, rng=rng)


async def with_attempts(
    attempt: Callable[[int], Awaitable[T]],
    retry_in: Callable[[Exception, int], float | None],
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Run ``attempt(0)``, ``attempt(1)``, ... until one returns.

    After a failure ``retry_in(error, attempt)`` says how many seconds to wait before the
    next attempt, or ``None`` to give up and re-raise the error. Cancellation and other
    ``BaseException``s pass through untouched.
    """
    number = 0
    while True:
        try:
            return await attempt(number)
        except Exception as exc:
            delay = retry_in(exc, number)
            if delay is None:
                raise
        number += 1
        await sleep(delay)
