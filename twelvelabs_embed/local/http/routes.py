"""The URL table: which handler answers which method and path. Nothing else."""

from __future__ import annotations

from aiohttp import web

from ..settings import API_PREFIX
from . import v1_tasks
from .openapi import serve_openapi


def setup_routes(app: web.Application) -> None:
    app.router.add_post(f"{API_PREFIX}/embed/tasks", v1_tasks.create_task)
    app.router.add_get(f"{API_PREFIX}/embed/tasks", v1_tasks.list_tasks)
    app.router.add_get(f"{API_PREFIX}/embed/tasks/{{task_id}}/status", v1_tasks.task_status)
    app.router.add_get(f"{API_PREFIX}/embed/tasks/{{task_id}}", v1_tasks.retrieve_task)
    app.router.add_get(f"{API_PREFIX}/openapi.json", serve_openapi)
