"""HTTP <-> domain: parse the request, call the store/processor, render the platform JSON.

No SQL, no media decoding and no rules live here: rules come from ``video_rules``,
storage from ``store``, background work from ``processing``.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from .. import video_rules
from . import views
from .http import v1_embed, v2_embed, v2_tasks
from .http.list_query import read_list_query
from .jobs import JobRefused, JobSpec, check_media, probe
from .keys import PROBE_EXECUTOR, PROCESSOR, SETTINGS, STORE
from .multipart import read_create_form
from .openapi import openapi_json
from .problems import ApiProblem, from_violations, not_found
from .settings import API_PREFIX, discard
from .store import TaskRecord, new_task_id, now_ms
from .workers import WorkerCrashed, WorkerTimedOut

JSON = "application/json"


def _json(body: bytes) -> web.Response:
    return web.Response(body=body, content_type=JSON)


def _retention_cutoff_ms(request: web.Request) -> int:
    days = request.app[SETTINGS].retention_days
    return int((time.time() - days * 86400) * 1000)


async def _task_or_404(request: web.Request) -> TaskRecord:
    task_id = request.match_info["task_id"]
    violations = video_rules.check_task_id(task_id)
    if violations:
        raise from_violations(violations)
    task = await request.app[STORE].get(task_id, not_before_ms=_retention_cutoff_ms(request))
    if task is None:
        raise not_found(task_id)
    return task


async def _probe_upload(request: web.Request, path: str) -> video_rules.VideoFacts:
    """Probe in the prober process. One crash is retried: the prober may have died for
    a reason that is not this file (killed, or racing a previous crash); a second crash
    is the file's doing."""
    prober = request.app[PROBE_EXECUTOR]
    timeout = request.app[SETTINGS].probe_timeout_sec
    try:
        return await prober.run(probe, path, timeout=timeout)
    except WorkerTimedOut:
        raise  # a probe that hangs will hang again
    except WorkerCrashed:
        return await prober.run(probe, path, timeout=timeout)


async def create_task(request: web.Request) -> web.Response:
    app = request.app
    settings = app[SETTINGS]
    task_id = new_task_id()
    upload = settings.media_dir / f"{task_id}.upload"
    form = await read_create_form(request, upload, settings.max_file_size)
    p = form.params
    try:
        violations = video_rules.check_create_params(p)
        if violations:
            raise from_violations(violations)
        duration = None
        if form.file_path is not None:
            violations = video_rules.check_file_size(form.file_size, settings.max_file_size)
            if violations:
                raise from_violations(violations)
            spec = JobSpec(
                str(form.file_path),
                p.model_name or "",
                p.video_start_offset_sec,
                p.video_end_offset_sec,
                p.video_clip_length,
                video_rules.normalise_scopes(p.video_embedding_scope),
            )
            try:
                facts = await _probe_upload(request, spec.path)
                check_media(spec, facts)
            except JobRefused as exc:
                raise ApiProblem(400, exc.code, exc.message) from exc
            except WorkerCrashed as exc:
                why = "stopped responding" if isinstance(exc, WorkerTimedOut) else "crashed"
                v = video_rules.file_broken(f"Decoding the file {why} in the prober.")
                raise ApiProblem(400, v.code, v.message) from exc
            duration = facts.duration
        created = now_ms()
        await app[STORE].insert(
            TaskRecord(
                id=task_id,
                model_name=p.model_name or "",
                status="processing",
                created_ms=created,
                updated_ms=created,
                input_url=p.video_url or None,
                input_filename=(form.input_filename or "upload") if form.file_path else None,
                video_clip_length=p.video_clip_length,
                start_offset=p.video_start_offset_sec,
                end_offset=p.video_end_offset_sec,
                scopes=video_rules.normalise_scopes(p.video_embedding_scope),
                duration=duration,
                media_path=str(form.file_path) if form.file_path else None,
            )
        )
    except BaseException:
        discard(upload)
        raise
    app[PROCESSOR].submit(task_id)
    return _json(views.create_body(task_id))


async def task_status(request: web.Request) -> web.Response:
    return _json(views.status_body(await _task_or_404(request)))


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
    body = await asyncio.to_thread(views.retrieve_body, task, segments)
    return _json(body)


async def list_tasks(request: web.Request) -> web.Response:
    q = read_list_query(request, request.app[SETTINGS].retention_days)
    tasks, total = await request.app[STORE].list_page(
        created_from_ms=q.created_from_ms,
        created_to_ms=q.created_to_ms,
        status=q.status,
        offset=q.offset,
        limit=q.limit,
    )
    return _json(views.list_body(tasks, q.page, q.limit, total))


async def openapi(request: web.Request) -> web.Response:
    return _json(openapi_json())


def setup_routes(app: web.Application) -> None:
    app.router.add_post(f"{API_PREFIX}/embed/tasks", create_task)
    app.router.add_get(f"{API_PREFIX}/embed/tasks", list_tasks)
    app.router.add_get(f"{API_PREFIX}/embed/tasks/{{task_id}}/status", task_status)
    app.router.add_get(f"{API_PREFIX}/embed/tasks/{{task_id}}", retrieve_task)
    app.router.add_post(f"{API_PREFIX}/embed", v1_embed.create_embedding)
    app.router.add_post(f"{API_PREFIX}/embed-v2", v2_embed.create_embeddings)
    app.router.add_post(f"{API_PREFIX}/embed-v2/tasks", v2_tasks.create_task)
    app.router.add_get(f"{API_PREFIX}/embed-v2/tasks", v2_tasks.list_tasks)
    app.router.add_get(f"{API_PREFIX}/embed-v2/tasks/{{task_id}}", v2_tasks.retrieve_task)
    app.router.add_get(f"{API_PREFIX}/openapi.json", openapi)
