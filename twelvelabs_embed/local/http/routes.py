"""The URL table: which handler answers which method and path. Nothing else."""

from __future__ import annotations

from aiohttp import web

from ..settings import API_PREFIX, CONTROL_PREFIX
from . import assets, control, multipart_uploads, v1_embed, v1_tasks, v2_embed, v2_tasks
from .admission import expect_continue, expect_handler, expect_upload
from .openapi import serve_openapi

BODY = {"expect_handler": expect_continue}
"""Routes that take a body refuse a bad key or an oversized body before inviting it."""
UPLOAD_CHUNK = "upload_chunk"
"""The presigned chunk PUT: signed, so it is the one API route without ``x-api-key``."""


def setup_routes(app: web.Application, *, control: bool = False) -> None:
    """The API's routes, named as fault rules and rate limits match them; with
    ``control``, the ``/_engine/`` control plane too."""
    r = app.router
    r.add_post(
        f"{API_PREFIX}/embed/tasks",
        v1_tasks.create_task,
        name="create_task",
        expect_handler=expect_upload,
    )
    r.add_get(f"{API_PREFIX}/embed/tasks", v1_tasks.list_tasks, name="list_tasks")
    r.add_get(
        f"{API_PREFIX}/embed/tasks/{{task_id}}/status", v1_tasks.task_status, name="task_status"
    )
    r.add_get(f"{API_PREFIX}/embed/tasks/{{task_id}}", v1_tasks.retrieve_task, name="retrieve_task")
    r.add_post(f"{API_PREFIX}/embed", v1_embed.create_embedding, name="create_embedding", **BODY)
    r.add_post(
        f"{API_PREFIX}/embed-v2", v2_embed.create_embeddings, name="create_embeddings_v2", **BODY
    )
    r.add_post(f"{API_PREFIX}/embed-v2/tasks", v2_tasks.create_task, name="create_task_v2", **BODY)
    r.add_get(f"{API_PREFIX}/embed-v2/tasks", v2_tasks.list_tasks, name="list_tasks_v2")
    r.add_get(
        f"{API_PREFIX}/embed-v2/tasks/{{task_id}}", v2_tasks.retrieve_task, name="retrieve_task_v2"
    )
    r.add_get(f"{API_PREFIX}/openapi.json", serve_openapi, name="openapi")
    setup_asset_routes(app)
    if control:
        setup_control_routes(app)


def setup_asset_routes(app: web.Application) -> None:
    """Every asset route that takes a body refuses a bad credential or a declared body
    over its own limit before inviting it (``Expect: 100-continue``)."""
    r, a, m = app.router, f"{API_PREFIX}/assets", multipart_uploads
    json_body = {"expect_handler": expect_handler(m.admit_json)}
    r.add_post(
        a,
        assets.create_asset,
        name="create_asset",
        expect_handler=expect_handler(assets.admit_create),
    )
    r.add_get(a, assets.list_assets, name="list_assets")
    r.add_post(f"{a}/multipart-uploads", m.create_upload, name="create_upload", **json_body)
    r.add_get(f"{a}/multipart-uploads", m.list_incomplete, name="list_incomplete_uploads")
    r.add_get(f"{a}/multipart-uploads/{{upload_id}}", m.get_status, name="upload_status")
    r.add_post(
        f"{a}/multipart-uploads/{{upload_id}}", m.report_chunks, name="report_chunks", **json_body
    )
    r.add_post(
        f"{a}/multipart-uploads/{{upload_id}}/presigned-urls",
        m.presigned_urls,
        name="presigned_urls",
        **json_body,
    )
    r.add_put(
        f"{a}/multipart-uploads/{{upload_id}}/chunks/{{chunk_index}}",
        m.put_chunk,
        name=UPLOAD_CHUNK,
        expect_handler=expect_handler(m.admit_chunk),
    )
    r.add_get(f"{a}/{{asset_id}}", assets.retrieve_asset, name="retrieve_asset")
    r.add_delete(f"{a}/{{asset_id}}", assets.delete_asset, name="delete_asset")


def setup_control_routes(app: web.Application) -> None:
    r, prefix, c = app.router, CONTROL_PREFIX, control
    r.add_get(prefix, c.index)
    r.add_post(f"{prefix}/faults", c.add_fault)
    r.add_get(f"{prefix}/faults", c.list_faults)
    r.add_delete(f"{prefix}/faults", c.delete_faults)
    r.add_delete(f"{prefix}/faults/{{fault_id}}", c.delete_fault)
    for action, handler in (
        ("fail", c.fail_task),
        ("complete", c.complete_task),
        ("hold", c.hold_task),
        ("release", c.release_task),
    ):
        r.add_post(f"{prefix}/tasks/{{task_id}}/{action}", handler)
    r.add_get(f"{prefix}/lifecycle", c.get_lifecycle)
    r.add_put(f"{prefix}/lifecycle", c.set_lifecycle)
    r.add_get(f"{prefix}/clock", c.get_clock)
    r.add_post(f"{prefix}/clock", c.set_clock)
    r.add_get(f"{prefix}/rate-limits", c.get_rate_limits)
    r.add_put(f"{prefix}/rate-limits", c.set_rate_limits)
    r.add_delete(f"{prefix}/rate-limits", c.delete_rate_limits)
    r.add_get(f"{prefix}/requests", c.list_requests)
    r.add_delete(f"{prefix}/requests", c.delete_requests)
    r.add_post(f"{prefix}/reset", c.reset)
    r.add_get(f"{prefix}/stats", c.stats)
