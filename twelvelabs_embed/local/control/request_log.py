"""What the engine was asked, for tests to assert on: a capped ring buffer of entries.

An entry holds the method, path, query (the pairs in the order sent), route, status,
duration, the task id it touched, the create form's text fields and, for an upload, its file name, size and SHA-256. Never the
bytes of an upload, never a header (so never the API key).
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Mapping
from typing import Any

import attrs

DEFAULT_CAPACITY = 1000


@attrs.frozen
class UploadDigest:
    filename: str | None
    size: int
    sha256: str


@attrs.define
class LoggedRequest:
    id: int
    at_ms: int
    method: str
    path: str
    route: str | None
    query: list[tuple[str, str]] = attrs.field(factory=list)
    status: int = 0
    duration_ms: float = 0.0
    task_id: str | None = None
    form: Mapping[str, str] | None = None
    upload: UploadDigest | None = None
    fault: str | None = None
    """The id of the fault rule that struck (``header`` for ``X-Engine-Fault``)."""
    rate_limited: bool = False
    dropped: bool = False
    """The connection was dropped on purpose (``status`` stays 0 unless an answer was cut
    off mid-body)."""

    def to_json(self) -> dict[str, Any]:
        out = attrs.asdict(self, recurse=True)
        out["form"] = dict(self.form) if self.form is not None else None
        out["query"] = [list(pair) for pair in self.query]
        return out


class RequestLog:
    """The last ``capacity`` requests, oldest first."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._entries: collections.deque[LoggedRequest] = collections.deque(maxlen=capacity)
        self._ids = itertools.count(1)

    def start(
        self,
        at_ms: int,
        method: str,
        path: str,
        route: str | None,
        query: list[tuple[str, str]] | None = None,
    ) -> LoggedRequest:
        entry = LoggedRequest(next(self._ids), at_ms, method, path, route, list(query or []))
        self._entries.append(entry)
        return entry

    def entries(
        self, *, route: str | None = None, status: int | None = None, limit: int | None = None
    ) -> list[LoggedRequest]:
        """Matching entries, oldest first; ``limit`` keeps the newest ones."""
        found = [
            e
            for e in self._entries
            if (route is None or e.route == route) and (status is None or e.status == status)
        ]
        return found[-limit:] if limit else found

    def clear(self) -> None:
        self._entries.clear()
