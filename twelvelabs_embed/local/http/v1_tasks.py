"""``/embed/tasks`` handlers (Embed API v1): parse the request, call, render the JSON.

No SQL, no media decoding and no rules live here: rules come from ``video_rules``,
storage from ``store``, new tasks go through ``intake``, bodies come from ``bodies``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from aiohttp import web

from ... import video_rules
from ..._aio import to_thread
from ..app_keys import CLOCK, CREATE_FORM, CREATED_TASK, INTAKE, SETTINGS, STORE, TOUCHED_TASK
from ..store import TaskRecord
from . import bodies
from .problems import from_violations, invalid, not_found
from .task_form import read_create_form

JSON = "application/json"


def _json(body: bytes) -> web.Response:
    return web.Response(body=body, content_type=JSON)


async def _task_or_404(request: web.Request) -> TaskRecord:
    task_id = request.match_info["task_id"]
    violations = video_rules.check_task_id(task_id)
    if violations:
        raise from_violations(violations)
    request[TOUCHED_TASK] = task_id
    cutoff = request.app[SETTINGS].retention_cutoff_ms(request.app[CLOCK].now_ms())
    task = await request.app[STORE].get(task_id, not_before_ms=cutoff)
    if task is None:
        raise not_found(task_id)
    return task


async def create_task(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    task_id = intake.new_task_id()
    upload = intake.upload_path(task_id)
    form = await read_create_form(request, upload, request.app[SETTINGS].max_file_size)
    request[CREATE_FORM] = form
    request[CREATED_TASK] = await intake.accept(task_id, form)
    request[TOUCHED_TASK] = task_id
    return _json(bodies.create_body(task_id))


async def task_status(request: web.Request) -> web.Response:
    return _json(bodies.status_body(await _task_or_404(request)))


async def retrieve_task(request: web.Request) -> web.Response:
    task = await _task_or_404(request)
    options = [
        o.strip()
        for raw in request.query.getall("embedding_option", [])
        for o in raw.split(",")
        if o.strip()
    ]
    violations = video_rules.check_embedding_options(task.model_name, options)
    if violations:
        raise from_violations(violations)
    segments = None
    if task.status == "ready":
        segments = await request.app[STORE].segments(task.id, options)
    body = await to_thread(bodies.retrieve_body, task, segments)
    return _json(body)


# Only an empty value counts as absent; anything else must be exactly what the OpenAPI
# document promises (Python's int() and fromisoformat() accept far more: " 5", "1_0",
# Arabic-Indic digits, a bare date).
_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)


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


async def list_tasks(request: web.Request) -> web.Response:
    page = _int_param(request, "page", 1)
    limit = _int_param(request, "page_limit", video_rules.DEFAULT_PAGE_LIMIT)
    status = request.query.get("status", "") or None
    violations = video_rules.check_list_params(page, limit, status)
    if violations:
        raise from_violations(violations)
    started, ended = _time_param(request, "started_at"), _time_param(request, "ended_at")
    now = request.app[CLOCK].now_ms()
    started, ended = video_rules.list_window(started, ended, now)
    started = max(started or 0, request.app[SETTINGS].retention_cutoff_ms(now))
    offset = min((page - 1) * limit, 2**62)
    tasks, total = await request.app[STORE].list_page(
        created_from_ms=started, created_to_ms=ended, status=status, offset=offset, limit=limit
    )
    return _json(bodies.list_body(tasks, page, limit, total))
