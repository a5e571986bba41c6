"""The task-list query (``page``, ``page_limit``, ``status``, ``started_at``, ``ended_at``),
read the same way for v1 and v2 lists.

Only an empty value counts as absent; anything else must be exactly what the OpenAPI
document promises (Python's int() and fromisoformat() accept far more: " 5", "1_0",
Arabic-Indic digits, a bare date). Errors are the flat ``{code, message}`` 400 both list
endpoints document.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import attrs
from aiohttp import web

from ... import video_rules
from ..settings import EngineSettings
from .problems import from_violations, invalid

_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)


@attrs.frozen
class ListQuery:
    """A checked list query; times are epoch milliseconds, the retention window applied."""

    page: int
    limit: int
    status: str | None
    created_from_ms: int
    created_to_ms: int | None

    @property
    def offset(self) -> int:
        return min((self.page - 1) * self.limit, 2**62)


def _int_param(request: web.Request, name: str, default: int) -> int:
    text = request.query.get(name, "")
    if text == "":
        return default
    if not _INTEGER.fullmatch(text):
        raise invalid(name, f"`{name}` must be an integer.")
    return int(text)


def _time_param(request: web.Request, name: str) -> int | None:
    text = request.query.get(name, "")
    if text == "":
        return None
    try:
        if not _RFC3339.fullmatch(text):
            raise ValueError(text)
        dt = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    except ValueError:
        raise invalid(name, f"`{name}` must be an RFC 3339 date-time.") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def read_list_query(request: web.Request, settings: EngineSettings, now: int) -> ListQuery:
    """Raises ``ApiProblem`` (400 ``parameter_invalid``) for a bad value."""
    page = _int_param(request, "page", 1)
    limit = _int_param(request, "page_limit", video_rules.DEFAULT_PAGE_LIMIT)
    status = request.query.get("status", "") or None
    violations = video_rules.check_list_params(page, limit, status)
    if violations:
        raise from_violations(violations)
    started, ended = _time_param(request, "started_at"), _time_param(request, "ended_at")
    started, ended = video_rules.list_window(started, ended, now)
    started = max(started or 0, settings.retention_cutoff_ms(now))
    return ListQuery(page, limit, status, started, ended)
