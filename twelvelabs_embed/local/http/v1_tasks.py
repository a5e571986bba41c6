"""``/embed/tasks`` handlers (Embed API v1): parse the request, call, render the JSON.

No SQL, no media decoding and no rules live here: rules come from ``video_rules``,
storage from ``store``, new tasks go through ``intake``, bodies come from ``bodies``.
"""

from __future__ import annotations

from aiohttp import web

from ... import video_rules
from ..._aio import to_thread
from ..app_keys import (
    CLOCK,
    CREATE_FORM,
    CREATED_TASK,
    INTAKE,
    SETTINGS,
    STORE,
    TOUCHED_TASK,
    UPLOAD_SPACE,
)
from ..store import TaskRecord
from . import bodies
from .list_query import read_list_query
from .problems import from_violations, not_found
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
    form = await read_create_form(
        request, upload, request.app[SETTINGS].max_file_size, request.app[UPLOAD_SPACE]
    )
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


async def list_tasks(request: web.Request) -> web.Response:
    q = read_list_query(request, request.app[SETTINGS], request.app[CLOCK].now_ms())
    tasks, total = await request.app[STORE].list_page(
        created_from_ms=q.created_from_ms,
        created_to_ms=q.created_to_ms,
        status=q.status,
        offset=q.offset,
        limit=q.limit,
    )
    return _json(bodies.list_body(tasks, q.page, q.limit, total))
