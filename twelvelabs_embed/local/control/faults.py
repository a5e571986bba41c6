"""Fault rules: which requests to break, how, how many times, and when.

A rule matches by route name (``create_task``, ``task_status``, ...; ``*`` for any) and
optionally by method. ``skip`` lets that many matching requests pass first; ``count``
strikes that many and then retires the rule (``None`` = every time); ``probability``
draws from one seeded RNG, so a run with the same seed breaks the same requests;
``ttl_sec`` retires the rule once that much engine time has passed. ``phase="before"``
answers instead of the handler; ``"after"`` lets the handler do its work (the task is
created) and then loses its answer. Rules are tried in the order they were added; the
first that strikes wins.

An error answer is the platform's ``{"code", "message"}`` JSON unless the action gives
its own ``body`` (any JSON value, or a string sent as it is) and ``content_type``: a
proxy's HTML page, a 200 whose body breaks the schema, a cut-off JSON document.
``cut_body_after_bytes`` announces the whole answer, sends that many bytes of its body
and drops the connection (a server that dies mid-answer).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from typing import Any, Literal

import attrs
import orjson

Phase = Literal["before", "after"]
PHASES = ("before", "after")
MAX_LATENCY_MS = 600_000
MAX_BODY_BYTES = 1 << 20


class FaultSpecError(ValueError):
    """A fault rule or header that cannot be understood; the message says why."""


@attrs.frozen
class FaultAction:
    """What a struck request gets: an error answer, a dropped connection, a delay, or an
    upload cut off after some bytes (exactly one of them, or latency plus another)."""

    status: int | None = None
    code: str | None = None
    message: str | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    drop_connection: bool = False
    latency_ms: int = 0
    abort_upload_after_bytes: int | None = None
    body: bytes | None = None
    """The answer's bytes as given (``None``: the platform's error JSON)."""
    content_type: str | None = None
    cut_body_after_bytes: int | None = None

    @property
    def answers(self) -> bool:
        """True when the action replaces the response (not only a delay)."""
        return (
            self.status is not None
            or self.drop_connection
            or self.abort_upload_after_bytes is not None
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.status is not None:
            out.update(status=self.status, code=self.code, message=self.message)
            if self.headers:
                out["headers"] = dict(self.headers)
            if self.body is not None:
                out["body"] = self.body.decode("utf-8", errors="replace")
                out["content_type"] = self.content_type
            if self.cut_body_after_bytes is not None:
                out["cut_body_after_bytes"] = self.cut_body_after_bytes
        if self.drop_connection:
            out["drop_connection"] = True
        if self.latency_ms:
            out["latency_ms"] = self.latency_ms
        if self.abort_upload_after_bytes is not None:
            out["abort_upload_after_bytes"] = self.abort_upload_after_bytes
        return out


@attrs.define
class FaultRule:
    id: str
    route: str
    action: FaultAction
    method: str | None = None
    count: int | None = None
    skip: int = 0
    probability: float = 1.0
    phase: Phase = "before"
    expires_ms: int | None = None
    seen: int = 0
    hits: int = 0

    @property
    def retired(self) -> bool:
        return self.count is not None and self.hits >= self.count

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "route": self.route,
            "method": self.method,
            "action": self.action.to_json(),
            "count": self.count,
            "skip": self.skip,
            "probability": self.probability,
            "phase": self.phase,
            "expires_ms": self.expires_ms,
            "seen": self.seen,
            "hits": self.hits,
            "remaining": None if self.count is None else max(self.count - self.hits, 0),
        }


def _int(body: Mapping[str, Any], name: str, default: int | None, low: int) -> int | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise FaultSpecError(f"`{name}` must be an integer of at least {low}.")
    return value


def _answer_body(body: Mapping[str, Any], status: int | None) -> tuple[bytes | None, str | None]:
    """``body`` (a string as is, anything else as JSON) and its ``content_type``."""
    content_type = body.get("content_type")
    if content_type is not None and (
        not isinstance(content_type, str) or not content_type or not content_type.isprintable()
    ):
        raise FaultSpecError("`content_type` must be a media type such as `text/html`.")
    if "body" not in body:
        if content_type is not None:
            raise FaultSpecError("`content_type` goes with a `body`.")
        return None, None
    if status is None:
        raise FaultSpecError("A `body` needs the `status` it is answered with.")
    if "code" in body or "message" in body:
        raise FaultSpecError("Give a `body`, or a `code` and `message`, not both.")
    raw = body["body"]
    if isinstance(raw, str):
        data, default_type = raw.encode(), "text/plain"
    else:
        data, default_type = orjson.dumps(raw), "application/json"
    if len(data) > MAX_BODY_BYTES:
        raise FaultSpecError(f"`body` must be at most {MAX_BODY_BYTES} bytes.")
    return data, content_type or default_type


def parse_action(body: Any) -> FaultAction:
    """``{"status", "code", "message", "headers"}`` (or ``{"status", "body",
    "content_type", "headers"}``), ``{"drop_connection": true}``, ``{"latency_ms": n}``
    or ``{"abort_upload_after_bytes": n}`` (latency may join any)."""
    if not isinstance(body, Mapping):
        raise FaultSpecError("`action` must be an object.")
    unknown = set(body) - {
        "status", "code", "message", "headers", "drop_connection", "latency_ms",
        "abort_upload_after_bytes", "body", "content_type", "cut_body_after_bytes",
    }  # fmt: skip
    if unknown:
        raise FaultSpecError(f"Unknown action field(s): {', '.join(sorted(unknown))}.")
    status = _int(body, "status", None, 100)
    if status is not None and status > 599:
        raise FaultSpecError("`status` must be an HTTP status (100-599).")
    headers = body.get("headers") or {}
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise FaultSpecError("`headers` must map names to strings.")
    drop = body.get("drop_connection", False)
    if not isinstance(drop, bool):
        raise FaultSpecError("`drop_connection` must be true or false.")
    latency = _int(body, "latency_ms", 0, 0) or 0
    if latency > MAX_LATENCY_MS:
        raise FaultSpecError(f"`latency_ms` must be at most {MAX_LATENCY_MS}.")
    abort = _int(body, "abort_upload_after_bytes", None, 0)
    answers = [status is not None, drop, abort is not None]
    if sum(answers) > 1:
        raise FaultSpecError(
            "Choose one of `status`, `drop_connection` and `abort_upload_after_bytes`."
        )
    if not any(answers) and not latency:
        raise FaultSpecError("The action does nothing: give a status, a drop or a latency.")
    code, message = body.get("code"), body.get("message")
    for name, text in (("code", code), ("message", message)):
        if text is not None and not isinstance(text, str):
            raise FaultSpecError(f"`{name}` must be a string.")
    data, content_type = _answer_body(body, status)
    if status is not None and data is None:
        code = code or _default_code(status)
        message = message or f"Injected by the engine's fault rules ({status})."
    cut = _int(body, "cut_body_after_bytes", None, 0)
    if cut is not None and status is None:
        raise FaultSpecError("`cut_body_after_bytes` needs the `status` of the answer it cuts.")
    return FaultAction(
        status, code, message, dict(headers), drop, latency, abort, data, content_type, cut
    )


def _default_code(status: int) -> str:
    return {
        400: "parameter_invalid",
        401: "api_key_invalid",
        404: "resource_not_exist",
        429: "too_many_requests",
        500: "internal_error",
        502: "bad_gateway",
        503: "service_unavailable",
        504: "gateway_timeout",
    }.get(status, f"http_{status}")


def parse_header(value: str) -> FaultAction:
    """``X-Engine-Fault``: ``503``, ``drop_connection``, ``latency_ms=800``,
    ``abort_upload_after_bytes=1024`` or ``status=503;code=...;message=...``."""
    text = value.strip()
    if text.isdigit():
        return parse_action({"status": int(text)})
    if text == "drop_connection":
        return parse_action({"drop_connection": True})
    fields: dict[str, Any] = {}
    for part in text.split(";"):
        name, sep, raw = part.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name:
            raise FaultSpecError(f"Cannot read X-Engine-Fault {value[:80]!r}.")
        if name in ("status", "latency_ms", "abort_upload_after_bytes", "cut_body_after_bytes"):
            if not raw.isdigit():
                raise FaultSpecError(f"`{name}` must be a whole number.")
            fields[name] = int(raw)
        elif name in ("code", "message"):
            fields[name] = raw
        elif name == "drop_connection":
            fields[name] = raw.lower() in ("1", "true", "yes")
        else:
            raise FaultSpecError(f"Unknown X-Engine-Fault field {name!r}.")
    return parse_action(fields)


class FaultBook:
    """The rules in force, and the seeded RNG their probabilities draw from."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self.seed(seed)

    def seed(self, seed: int | None) -> None:
        self._seed = seed
        self._rng = random.Random(seed)

    def add(self, body: Any, now_ms: int) -> FaultRule:
        """Add a rule from its JSON form (see the module docstring)."""
        if not isinstance(body, Mapping):
            raise FaultSpecError("The body must be a JSON object.")
        unknown = set(body) - {
            "route", "method", "action", "count", "skip", "probability", "phase", "ttl_sec",
        }  # fmt: skip
        if unknown:
            raise FaultSpecError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
        route = body.get("route", "*")
        if not isinstance(route, str) or not route:
            raise FaultSpecError("`route` must be a route name such as `create_task`, or `*`.")
        method = body.get("method")
        if method is not None and not isinstance(method, str):
            raise FaultSpecError("`method` must be a string such as `POST`.")
        probability = body.get("probability", 1.0)
        if (
            isinstance(probability, bool)
            or not isinstance(probability, int | float)
            or not 0.0 <= probability <= 1.0
        ):
            raise FaultSpecError("`probability` must be a number from 0 to 1.")
        phase = body.get("phase", "before")
        if phase not in PHASES:
            raise FaultSpecError("`phase` must be `before` or `after`.")
        ttl = body.get("ttl_sec")
        if ttl is not None and (
            isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0
        ):
            raise FaultSpecError("`ttl_sec` must be a positive number of seconds.")
        rule = FaultRule(
            id=f"f{next(self._ids)}",
            route=route,
            method=method.upper() if method else None,
            action=parse_action(body.get("action")),
            count=_int(body, "count", None, 1),
            skip=_int(body, "skip", 0, 0) or 0,
            probability=float(probability),
            phase=phase,
            expires_ms=None if ttl is None else now_ms + int(ttl * 1000),
        )
        self._rules.append(rule)
        return rule

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def remove(self, rule_id: str) -> bool:
        before = len(self._rules)
        self._rules = [r for r in self._rules if r.id != rule_id]
        return len(self._rules) < before

    def clear(self) -> None:
        self._rules.clear()
        self._rng = random.Random(self._seed)

    def strike(self, route: str, method: str, now_ms: int) -> FaultRule | None:
        """The first rule that strikes this request, counted as a hit; or ``None``.

        Every live rule that matches counts the request as seen (for ``skip``) until
        one strikes.
        """
        for rule in self._rules:
            if rule.retired or (rule.expires_ms is not None and now_ms >= rule.expires_ms):
                continue
            if rule.route not in ("*", route) or rule.method not in (None, method):
                continue
            rule.seen += 1
            if rule.seen <= rule.skip:
                continue
            if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                continue
            rule.hits += 1
            return rule
        return None
