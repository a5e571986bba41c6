"""Builds the aiohttp application: middlewares, routes, and paired start/stop contexts.

Each ``cleanup_ctx`` generator starts one resource before its ``yield`` and stops it
after, so shutdown runs in reverse order: background processing stops first, then
downloads, workers, and finally the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from .app_keys import (
    EXECUTOR,
    FETCHER,
    INTAKE,
    PROBE_EXECUTOR,
    SETTINGS,
    STORE,
    TASK_RUNNER,
)
from .executors.process_pool import ProcessPoolMediaExecutor
from .http.middlewares import add_version_header, auth_middleware, errors_middleware
from .http.routes import setup_routes
from .intake import TaskIntake
from .settings import EngineSettings
from .store import TaskStore
from .task_runner import TaskRunner
from .url_fetch import UrlFetcher

WORKER_PRELOAD = (
    "twelvelabs_embed.local.media.task_job",
    "twelvelabs_embed.local.media.segments",
    "av",
)
"""Imported once by the fork server so every worker starts warm."""


async def store_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    store = TaskStore(settings.db_path)
    await store.open()
    app[STORE] = store
    yield
    await store.close()


async def executors_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    executor = ProcessPoolMediaExecutor(settings.workers, preload=WORKER_PRELOAD)
    # Probing an upload happens while its request waits, so it must not queue behind
    # long embedding jobs; and a decoder crash must not take the server down with it.
    prober = ProcessPoolMediaExecutor(1, preload=WORKER_PRELOAD)
    app[EXECUTOR] = executor
    app[PROBE_EXECUTOR] = prober
    yield
    await prober.aclose()
    await executor.aclose()


async def fetcher_ctx(app: web.Application) -> AsyncIterator[None]:
    s = app[SETTINGS]
    fetcher = UrlFetcher(
        allow_private=s.allow_private_urls,
        max_size=s.max_file_size,
        total_timeout=s.fetch_timeout_sec,
        connect_timeout=s.fetch_connect_timeout_sec,
        read_timeout=s.fetch_read_timeout_sec,
        max_redirects=s.max_redirects,
    )
    async with fetcher:
        app[FETCHER] = fetcher
        yield


async def task_runner_ctx(app: web.Application) -> AsyncIterator[None]:
    runner = TaskRunner(app[SETTINGS], app[STORE], app[EXECUTOR], app[FETCHER])
    app[TASK_RUNNER] = runner
    app[INTAKE] = TaskIntake(app[SETTINGS], app[STORE], app[PROBE_EXECUTOR], runner)
    await runner.start()
    yield
    await runner.stop()


def make_app(settings: EngineSettings) -> web.Application:
    app = web.Application(middlewares=[errors_middleware, auth_middleware])
    app[SETTINGS] = settings
    app.on_response_prepare.append(add_version_header)
    app.cleanup_ctx.extend([store_ctx, executors_ctx, fetcher_ctx, task_runner_ctx])
    setup_routes(app)
    return app
