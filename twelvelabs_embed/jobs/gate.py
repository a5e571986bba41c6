"""One rate gate for every create in a job.

The platform rate-limits only ``POST /embed/tasks``, per organisation, so a 429 seen by
one coroutine is news for all of them: the gate closes for everyone until the server's
``retry-after-ms`` / ``Retry-After`` (or, with no hint, the shared exponential backoff)
has passed. After a 429 it reopens slowly, one create in flight, doubling on each
success, so a crowd of waiting uploads does not hit the limit again all at once.

``x-ratelimit-remaining`` with ``x-ratelimit-reset`` (v1.2 names), or the per-dimension
``x-ratelimit-<dimension>-remaining`` / ``-reset`` headers, pace creates before any 429:
with nothing left in the window, creates wait for the reset. The gate owns these
retries: the job sends creates with ``max_retries=0`` so every 429 reaches it.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Callable, Mapping

from .._retry import backoff_delay, parse_retry_after

MAX_PAUSE_SEC = 3600.0
"""Longest pause taken from one server hint (a daily limit can ask for hours)."""
EPOCH_THRESHOLD = 1e9
"""A reset value above this is a UTC epoch time (v1.2 docs), below it a number of seconds."""
_REMAINING = re.compile(r"^x-ratelimit-(?:([a-z]+)-)?remaining$")
_REQUEST_DIMENSIONS = frozenset({None, "request", "requests"})


class RateGate:
    """``await gate.acquire()`` before a create, then exactly one of ``succeeded``,
    ``limited`` or ``released`` when it is over.

    Args:
        clock: monotonic seconds (the event loop's clock by default).
        wall: epoch seconds, to read epoch-style reset headers.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] | None = None,
        wall: Callable[[], float] = time.time,
        max_pause: float = MAX_PAUSE_SEC,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self._max_pause = max_pause
        self._closed_until = 0.0
        self._window = math.inf
        self._inflight = 0
        self._budget: int | None = None
        self._budget_reset = 0.0
        self._limit: int | None = None
        self._strikes = 0
        self._waiters: set[asyncio.Future[None]] = set()
        self.limited_count = 0
        """429 answers seen."""
        self.paused_sec = 0.0
        """Time the gate has been closed by 429s (not counting overlap)."""

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    @property
    def inflight(self) -> int:
        return self._inflight

    def delay(self) -> float:
        """Seconds until a create could start, ignoring the in-flight window."""
        now = self._now()
        wait = self._closed_until - now
        if self._budget is not None and self._budget <= 0:
            if now < self._budget_reset:
                wait = max(wait, self._budget_reset - now)
            else:  # a new window: as many as the limit seen, until an answer says more
                self._budget = self._limit
                self._budget_reset = now + 1.0
        return max(wait, 0.0)

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            wait = self.delay()
            if wait <= 0 and self._inflight < self._window:
                self._inflight += 1
                if self._budget is not None:
                    self._budget -= 1
                return
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.add(fut)
            try:
                await asyncio.wait({fut}, timeout=wait if wait > 0 else None)
            finally:
                self._waiters.discard(fut)

    def _wake(self) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)

    def _finish(self) -> None:
        self._inflight = max(0, self._inflight - 1)

    def succeeded(self, headers: Mapping[str, str]) -> None:
        """A create was accepted: widen the window, read the remaining budget."""
        self._finish()
        self._strikes = 0
        if self._window != math.inf:
            self._window *= 2
            if self._window >= 64:
                self._window = math.inf
        self._read_budget(headers, accepted=True)
        self._wake()

    def limited(self, headers: Mapping[str, str]) -> float:
        """A create got 429: close the gate for everyone; returns the pause in seconds."""
        self._finish()
        self.limited_count += 1
        hint = parse_retry_after(headers)
        pause = backoff_delay(self._strikes) if hint is None else min(hint, self._max_pause)
        self._strikes += 1
        now = self._now()
        until = now + pause
        if until > self._closed_until:
            self.paused_sec += until - max(now, self._closed_until)
            self._closed_until = until
        self._window = 1
        self._read_budget(headers, accepted=False)
        if self._budget is not None and self._budget <= 0 and self._budget_reset <= now:
            self._budget = None  # no usable reset: the pause above is the wait
        self._wake()
        return pause

    def released(self) -> None:
        """A create ended without telling anything about the rate (an error, a cancel)."""
        self._finish()
        self._wake()

    def _read_budget(self, headers: Mapping[str, str], *, accepted: bool) -> None:
        lowest: int | None = None
        reset: float | None = None
        for name, value in headers.items():
            match = _REMAINING.match(name.lower())
            if match is None:
                continue
            try:
                remaining = int(float(value))
            except ValueError:
                continue
            dim = match.group(1)
            if dim not in _REQUEST_DIMENSIONS and remaining > 0:
                continue  # e.g. video minutes left: only an empty dimension blocks
            if lowest is None or remaining < lowest:
                lowest = remaining
                prefix = "x-ratelimit-" + (f"{dim}-" if dim else "")
                reset = self._reset_in(headers, prefix + "reset") or self._reset_in(
                    headers, "x-ratelimit-reset"
                )
        if lowest is None:
            return
        limit = self._header_int(headers, "x-ratelimit-limit") or self._header_int(
            headers, "x-ratelimit-request-limit"
        )
        if limit or accepted:  # a success's remaining + 1 is a lower bound on the limit
            self._limit = limit or max(self._limit or 0, lowest + 1)
        # Creates already on their way will spend part of what the server reported.
        self._budget = lowest - self._inflight
        self._budget_reset = self._now() + (reset if reset is not None else 1.0)

    @staticmethod
    def _header_int(headers: Mapping[str, str], name: str) -> int | None:
        raw = next((v for k, v in headers.items() if k.lower() == name), None)
        try:
            return int(float(raw)) if raw is not None else None
        except ValueError:
            return None

    def _reset_in(self, headers: Mapping[str, str], name: str) -> float | None:
        raw = next((v for k, v in headers.items() if k.lower() == name), None)
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            return None
        if value > EPOCH_THRESHOLD:
            value -= self._wall()
        return min(max(value, 0.0), self._max_pause)
