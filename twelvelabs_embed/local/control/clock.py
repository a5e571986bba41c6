"""The engine's one clock: every timestamp, expiry and window reads it, never ``time.time``.

Real by default. A test may freeze it at an instant, move it forward, or let it run
again from where it stands (an offset from the real clock), so ``created_at``, list
filters, the retention window, fault lifetimes and rate-limit windows all move together.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

ClockMode = Literal["real", "frozen", "offset"]


class EngineClock:
    """Milliseconds since the epoch, as the engine sees them.

    Args:
        wall: the real clock in epoch seconds (``time.time``); a test may pass its own.
    """

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._frozen_ms: int | None = None
        self._offset_ms = 0

    def now_ms(self) -> int:
        if self._frozen_ms is not None:
            return self._frozen_ms
        return int(self._wall() * 1000) + self._offset_ms

    def now(self) -> float:
        """Epoch seconds (for ``Retry-After`` and reset headers)."""
        return self.now_ms() / 1000

    @property
    def mode(self) -> ClockMode:
        if self._frozen_ms is not None:
            return "frozen"
        return "offset" if self._offset_ms else "real"

    def freeze(self, at_ms: int | None = None) -> None:
        """Stop the clock at ``at_ms`` (default: where it stands now)."""
        self._frozen_ms = self.now_ms() if at_ms is None else at_ms

    def advance(self, ms: int) -> None:
        """Move forward (a frozen clock stays frozen; a running one keeps running)."""
        if ms < 0:
            raise ValueError("the engine clock only moves forward")
        if self._frozen_ms is not None:
            self._frozen_ms += ms
        else:
            self._offset_ms += ms

    def real(self) -> None:
        """Back to the real time."""
        self._frozen_ms = None
        self._offset_ms = 0

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "now_ms": self.now_ms(), "offset_ms": self._offset_ms}
