"""Everything a test can steer, in one object: clock, faults, limits, lifecycle, log.

The HTTP handlers (``local/http/control.py``), the control middleware and scenario
files all go through it, so a scenario file holds exactly the JSON bodies the HTTP
control plane takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .clock import EngineClock
from .faults import FaultBook
from .lifecycle import Lifecycle
from .limits import RateLimits
from .request_log import DEFAULT_CAPACITY, RequestLog


class ControlSpecError(ValueError):
    """A control body that cannot be understood; the message says why."""


def parse_instant(text: Any) -> int:
    """An RFC 3339 date-time (``2026-01-01T00:00:00Z``) as epoch milliseconds."""
    if not isinstance(text, str):
        raise ControlSpecError("`at` must be an RFC 3339 date-time string.")
    try:
        dt = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
    except ValueError:
        raise ControlSpecError(f"`at` is not an RFC 3339 date-time: {text[:40]!r}.") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    ms = int(dt.timestamp() * 1000)
    if ms < 0:  # task ids and the store's time buckets count from the epoch
        raise ControlSpecError("`at` must be 1970-01-01T00:00:00Z or later.")
    return ms


class ControlPlane:
    """The test double's state. ``seed`` makes fault probabilities reproducible."""

    def __init__(
        self,
        clock: EngineClock,
        lifecycle: Lifecycle,
        *,
        seed: int | None = None,
        log_capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self.clock = clock
        self.lifecycle = lifecycle
        self.faults = FaultBook(seed)
        self.limits = RateLimits()
        self.requests = RequestLog(log_capacity)

    def set_clock(self, body: Any) -> None:
        """``{"action": "freeze", "at": "..."}`` (``at`` optional), ``{"action":
        "advance", "seconds": n}`` or ``{"action": "real"}``."""
        if not isinstance(body, Mapping):
            raise ControlSpecError("The body must be a JSON object.")
        action = body.get("action")
        if action == "freeze":
            self.clock.freeze(parse_instant(body["at"]) if "at" in body else None)
        elif action == "advance":
            seconds = body.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise ControlSpecError("`seconds` must be a number of at least 0.")
            self.clock.advance(int(seconds * 1000))
        elif action == "real":
            self.clock.real()
        else:
            raise ControlSpecError("`action` must be `freeze`, `advance` or `real`.")

    def reset(self) -> None:
        """Faults, limits, the request log, the clock and the lifecycle back to the start."""
        self.faults.clear()
        self.limits.clear()
        self.requests.clear()
        self.clock.real()
        self.lifecycle.reset()

    def load_scenario(self, body: Any) -> None:
        """A scenario file: ``{"seed", "faults": [...], "rate_limits": {"limits": [...]},
        "lifecycle": {...}, "clock": {...}}``, each the body its endpoint takes."""
        if not isinstance(body, Mapping):
            raise ControlSpecError("A scenario must be a JSON object.")
        unknown = set(body) - {"seed", "faults", "rate_limits", "lifecycle", "clock"}
        if unknown:
            raise ControlSpecError(f"Unknown scenario field(s): {', '.join(sorted(unknown))}.")
        if "seed" in body:
            seed = body["seed"]
            if isinstance(seed, bool) or not isinstance(seed, int):
                raise ControlSpecError("`seed` must be an integer.")
            self.faults.seed(seed)
        if "clock" in body:
            self.set_clock(body["clock"])
        if "lifecycle" in body:
            self.lifecycle.set(body["lifecycle"])
        if "rate_limits" in body:
            self.limits.set(body["rate_limits"], self.clock.now_ms())
        faults = body.get("faults", [])
        if not isinstance(faults, list):
            raise ControlSpecError("`faults` must be a list of fault rules.")
        for rule in faults:
            self.faults.add(rule, self.clock.now_ms())
