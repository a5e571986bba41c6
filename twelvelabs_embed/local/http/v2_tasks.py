"""``/embed-v2/tasks``: create (202), list, and retrieve (status and vectors in one).

Create checks the body with the shared rules, puts a ``base64_string`` on disk at once
(the body is not kept) and resolves an ``asset_id``; a ``url`` is downloaded later by the
task runner, so a failed download is a ``failed`` task, as on the platform.
"""

from __future__ import annotations

from aiohttp import web

from ... import video_rules
from ...rules.embed_v2 import V2Request, source_kind
from ..app_keys import ASSETS, CLOCK, FETCHER, SETTINGS, V2_RUNNER, V2_STORE
from ..intake import new_task_id
from ..media_names import v2_source
from ..settings import discard
from ..v2_sources import LocalMedia, materialize
from ..v2_store import V2TaskRecord
from ..v2_work import options_of, plan_from_json, plan_json
from . import v2_bodies as bodies
from .list_query import read_list_query
from .problems import ApiProblem
from .v2_embed import check, read_json

JSON = "application/json"


def _json(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON)


async def create_task(request: web.Request) -> web.Response:
    app = request.app
    settings = app[SETTINGS]
    req = check(await read_json(request, settings.max_json_body), "async")
    created = app[CLOCK].now_ms()
    task_id = new_task_id(created)
    source = req.media.source if req.media is not None else req.sources[0]
    parameter = f"{req.input_type}.media_source"
    local: LocalMedia | None = None
    if source.url is None:
        local = await materialize(
            source,
            v2_source(settings.media_dir, task_id),
            kind=source_kind(req, source),
            model=req.model_name,
            mode="async",
            parameter=parameter,
            fetcher=app[FETCHER],
            assets=app[ASSETS],
        )
    try:
        await app[V2_STORE].insert(
            V2TaskRecord(
                id=task_id,
                model_name=req.model_name,
                input_type=req.input_type,
                status="processing",
                created_ms=created,
                updated_ms=created,
                plan=plan_json(req),
                input_url=source.url,
                media_path=str(local.path) if local is not None else None,
                media_owned=local.owned if local is not None else True,
            )
        )
    except BaseException:
        if local is not None and local.owned:
            discard(local.path)
        raise
    app[V2_RUNNER].submit(task_id)
    return _json(bodies.created_body(task_id, req), status=202)


def _not_found(task_id: str) -> ApiProblem:
    return ApiProblem(404, "resource_not_exist", f"Task {task_id!r} was not found.")


async def retrieve_task(request: web.Request) -> web.Response:
    task_id = request.match_info["task_id"]
    if video_rules.check_task_id(task_id):
        raise _not_found(task_id)  # the v2 retrieve documents only 404 for a bad id
    cutoff = request.app[SETTINGS].retention_cutoff_ms(request.app[CLOCK].now_ms())
    store = request.app[V2_STORE]
    task = await store.get(task_id, not_before_ms=cutoff)
    if task is None:
        raise _not_found(task_id)
    req: V2Request = plan_from_json(task.plan)
    rows = await store.data(task.id) if task.status == "ready" else None
    return _json(bodies.task_body(task, req, rows, options_of(req)))


async def list_tasks(request: web.Request) -> web.Response:
    q = read_list_query(request, request.app[SETTINGS], request.app[CLOCK].now_ms())
    tasks, total = await request.app[V2_STORE].list_page(
        created_from_ms=q.created_from_ms,
        created_to_ms=q.created_to_ms,
        status=q.status,
        offset=q.offset,
        limit=q.limit,
    )
    items = []
    for t in tasks:
        req = plan_from_json(t.plan)
        items.append(bodies.list_item(t, req, options_of(req)))
    return _json(bodies.list_body(items, q.page, q.limit, total))
