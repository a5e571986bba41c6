"""Rate limits the way the platform counts them: requests, and minutes of video.

Each limit covers one route (``create_task``, ``*`` for any) and one dimension in a fixed
window of engine time: ``requests`` counts admitted requests, ``duration`` charges the
probed length of each created video (the platform's DPH/DPD quotas). A request is refused
with 429 ``too_many_requests`` once any of its limits is used up, until that window ends.
Every answer on a limited route carries the platform's ``x-ratelimit-*`` headers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import attrs

Dimension = Literal["requests", "duration"]
HEADER_DIMENSION = {"requests": "request", "duration": "duration"}
"""The dimension's name in headers, as the platform spells it (``x-ratelimit-request-*``)."""


class LimitSpecError(ValueError):
    """A rate-limit body that cannot be understood; the message says why."""


@attrs.define
class RateLimit:
    route: str
    dimension: Dimension
    limit: float
    """Requests, or seconds of video for ``duration``."""
    window_ms: int
    window_start_ms: int = 0
    used: float = 0.0

    def roll(self, now_ms: int) -> None:
        if now_ms >= self.window_start_ms + self.window_ms:
            elapsed = now_ms - self.window_start_ms
            self.window_start_ms += (elapsed // self.window_ms) * self.window_ms
            self.used = 0.0

    def reset_ms(self) -> int:
        return self.window_start_ms + self.window_ms

    def to_json(self, now_ms: int) -> dict[str, Any]:
        self.roll(now_ms)
        out: dict[str, Any] = {
            "route": self.route,
            "dimension": self.dimension,
            "window_sec": self.window_ms / 1000,
            "used": self.used,
            "reset_ms": self.reset_ms(),
        }
        if self.dimension == "duration":
            out["limit_minutes"] = self.limit / 60
        else:
            out["limit"] = int(self.limit)
        return out


@attrs.frozen
class Refusal:
    """Why a request is refused, and for how long."""

    limit: RateLimit
    retry_after_ms: int


def _number(body: Mapping[str, Any], name: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise LimitSpecError(f"`{name}` must be a positive number.")
    return float(value)


def parse_limit(body: Any, now_ms: int) -> RateLimit:
    if not isinstance(body, Mapping):
        raise LimitSpecError("Each limit must be an object.")
    unknown = set(body) - {"route", "dimension", "limit", "limit_minutes", "window_sec"}
    if unknown:
        raise LimitSpecError(f"Unknown limit field(s): {', '.join(sorted(unknown))}.")
    route = body.get("route", "*")
    if not isinstance(route, str) or not route:
        raise LimitSpecError("`route` must be a route name such as `create_task`, or `*`.")
    dimension = body.get("dimension", "requests")
    window_ms = int(_number(body, "window_sec") * 1000)
    if dimension == "requests":
        limit = _number(body, "limit")
        if limit != int(limit):
            raise LimitSpecError("`limit` must be a whole number of requests.")
    elif dimension == "duration":
        limit = _number(body, "limit_minutes") * 60
    else:
        raise LimitSpecError("`dimension` must be `requests` or `duration`.")
    return RateLimit(route, dimension, limit, max(window_ms, 1), window_start_ms=now_ms)


class RateLimits:
    """The limits in force and what each window has used."""

    def __init__(self) -> None:
        self._limits: list[RateLimit] = []

    def set(self, body: Any, now_ms: int) -> list[RateLimit]:
        """Replace every limit with ``{"limits": [...]}``; windows start now."""
        if not isinstance(body, Mapping) or not isinstance(body.get("limits"), list):
            raise LimitSpecError('The body must be {"limits": [...]}.')
        self._limits = [parse_limit(item, now_ms) for item in body["limits"]]
        return list(self._limits)

    def clear(self) -> None:
        self._limits.clear()

    def for_route(self, route: str, now_ms: int) -> list[RateLimit]:
        found = [lim for lim in self._limits if lim.route in ("*", route)]
        for lim in found:
            lim.roll(now_ms)
        return found

    def admit(self, route: str, now_ms: int) -> Refusal | None:
        """Count one request, or say which limit refuses it (nothing is counted then)."""
        limits = self.for_route(route, now_ms)
        full = [lim for lim in limits if lim.used >= lim.limit]
        if full:
            worst = max(full, key=lambda lim: lim.reset_ms())
            return Refusal(worst, max(worst.reset_ms() - now_ms, 1))
        for lim in limits:
            if lim.dimension == "requests":
                lim.used += 1
        return None

    def charge_duration(self, route: str, seconds: float, now_ms: int) -> None:
        """Charge the length of a created video to the route's duration limits."""
        for lim in self.for_route(route, now_ms):
            if lim.dimension == "duration":
                lim.used += max(seconds, 0.0)

    def headers(self, route: str, now_ms: int) -> dict[str, str]:
        """The ``x-ratelimit-*`` headers for an answer on ``route`` (none if unlimited).

        Per dimension ``x-ratelimit-<request|duration>-limit/-remaining/-used/-reset``
        (reset in seconds from now; duration in seconds of video), plus the v1.2 names
        ``x-ratelimit-limit/-remaining/-used`` for the request dimension and
        ``x-ratelimit-reset`` as UTC epoch seconds.
        """
        limits = self.for_route(route, now_ms)
        if not limits:
            return {}
        out: dict[str, str] = {}
        names = []
        for lim in limits:
            dim = HEADER_DIMENSION[lim.dimension]
            if dim not in names:
                names.append(dim)
            remaining = max(lim.limit - lim.used, 0.0)
            reset_sec = max(math.ceil((lim.reset_ms() - now_ms) / 1000), 0)
            mine = {
                f"x-ratelimit-{dim}-limit": _fmt(lim.limit),
                f"x-ratelimit-{dim}-remaining": _fmt(remaining),
                f"x-ratelimit-{dim}-used": _fmt(lim.used),
                f"x-ratelimit-{dim}-reset": str(reset_sec),
            }
            prior = out.get(f"x-ratelimit-{dim}-remaining")
            if prior is None or float(prior) > remaining:  # the tightest of its kind
                out.update(mine)
                if dim == "request":
                    out["x-ratelimit-limit"] = _fmt(lim.limit)
                    out["x-ratelimit-remaining"] = _fmt(remaining)
                    out["x-ratelimit-used"] = _fmt(lim.used)
                    out["x-ratelimit-reset"] = str(math.ceil(lim.reset_ms() / 1000))
        out["x-ratelimit-dimensions"] = ",".join(d.capitalize() for d in sorted(names))
        return out

    def to_json(self, now_ms: int) -> list[dict[str, Any]]:
        return [lim.to_json(now_ms) for lim in self._limits]


def _fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:.3f}"
