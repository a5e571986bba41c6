"""Builds the aiohttp application: middlewares, routes, and paired start/stop contexts.

Each ``cleanup_ctx`` generator starts one resource before its ``yield`` and stops it
after, so shutdown runs in reverse order: background processing stops first, then
downloads, workers, and finally the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from .._aio import cancel_and_wait, to_thread
from ..rules import assets as asset_rules
from .app_keys import (
    ASSET_SERVICE,
    ASSETS,
    CLOCK,
    CONTROL,
    DOWNLOADS,
    EXECUTOR,
    FETCHER,
    INTAKE,
    LIFECYCLE,
    PROBE_EXECUTOR,
    SETTINGS,
    STORE,
    TASK_RUNNER,
    UPLOAD_SPACE,
    UPLOADS,
    V2_RUNNER,
    V2_STORE,
)
from .assets import AssetService
from .assets_store import AssetStore
from .control.clock import EngineClock
from .control.lifecycle import Lifecycle
from .control.plane import ControlPlane
from .downloads import Downloads
from .executors.factory import WORKER_PRELOAD, open_media_executor
from .executors.process_pool import ProcessPoolMediaExecutor
from .http.control_middleware import fault_middleware, request_log_middleware
from .http.middlewares import add_version_header, auth_middleware, errors_middleware
from .http.routes import setup_routes
from .intake import TaskIntake
from .presign import UrlSigner, load_secret
from .settings import EngineSettings
from .store import TaskStore
from .task_runner import TaskRunner
from .upload_space import UploadSpace
from .uploads import MultipartUploads
from .url_fetch import UrlFetcher
from .v2_store import V2TaskStore
from .v2_task_runner import V2TaskRunner


async def store_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    app[UPLOAD_SPACE] = UploadSpace(
        settings.media_dir, settings.upload_space_bytes or 2 * settings.max_file_size
    )
    store = TaskStore(settings.db_path)
    await store.open()
    app[STORE] = store
    v2_store = V2TaskStore(store)
    await v2_store.open()
    app[V2_STORE] = v2_store
    yield
    await store.close()


async def executors_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    executor = await open_media_executor(settings)
    # Probing an upload happens while its request waits, so it must not queue behind
    # long embedding jobs; and a decoder crash must not take the server down with it.
    # It stays local with any executor: uploads are on this machine.
    prober = ProcessPoolMediaExecutor(settings.probe_workers, preload=WORKER_PRELOAD)
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
        min_rate=s.fetch_min_rate,
        grace=s.fetch_grace_sec,
    )
    async with fetcher:
        app[FETCHER] = fetcher
        downloads = Downloads(fetcher, s.max_downloads)
        app[DOWNLOADS] = downloads
        yield
        await downloads.aclose()


async def task_runner_ctx(app: web.Application) -> AsyncIterator[None]:
    clock = app[CLOCK]
    runner = TaskRunner(
        app[SETTINGS], app[STORE], app[EXECUTOR], app[DOWNLOADS], clock, app[LIFECYCLE]
    )
    app[TASK_RUNNER] = runner
    app[LIFECYCLE].register(runner)
    if CONTROL in app:
        limits = app[CONTROL].limits
        runner.on_ready = lambda task, duration: (
            # a URL task's length is known only now; an upload was charged at create
            limits.charge_duration("create_task", duration, clock.now_ms())
            if task.input_url
            else None
        )
    app[INTAKE] = TaskIntake(app[SETTINGS], app[STORE], app[PROBE_EXECUTOR], runner, clock)
    v2_runner = V2TaskRunner(
        app[SETTINGS], app[V2_STORE], app[EXECUTOR], app[DOWNLOADS], clock, app[LIFECYCLE]
    )
    await v2_runner.adopt_legacy_downloads()  # before the v1 sweep sees their old names
    await runner.start()
    app[V2_RUNNER] = v2_runner
    app[LIFECYCLE].register(v2_runner)
    await v2_runner.start()
    yield
    await v2_runner.stop()
    await runner.stop()


async def assets_ctx(app: web.Application) -> AsyncIterator[None]:
    """Assets and multipart uploads: their database, URL downloads (up to the 4 GB a URL
    asset may have), the probe after each upload, and the sweep of expired uploads."""
    s = app[SETTINGS]
    store = AssetStore(s.assets_db_path)
    await store.open()
    fetcher = UrlFetcher(
        allow_private=s.allow_private_urls,
        max_size=asset_rules.URL_MAX_BYTES,
        total_timeout=s.fetch_timeout_sec,
        connect_timeout=s.fetch_connect_timeout_sec,
        read_timeout=s.fetch_read_timeout_sec,
        max_redirects=s.max_redirects,
    )
    try:
        async with fetcher:
            service = AssetService(s, store, app[PROBE_EXECUTOR], fetcher, app[CLOCK])
            signer = UrlSigner(await to_thread(load_secret, s.data_dir / "upload_signing.key"))
            uploads = MultipartUploads(s, service, signer, app[UPLOAD_SPACE])
            service.users = app[V2_STORE]  # a v2 task reading an asset blocks its deletion
            app[ASSET_SERVICE], app[UPLOADS] = service, uploads
            app[ASSETS] = service  # media_source.asset_id finds ready assets' files
            await service.resume()
            sweep = asyncio.ensure_future(uploads.sweep_forever())
            yield
            await cancel_and_wait([sweep])
            await service.stop()
    finally:
        await store.close()


def make_app(settings: EngineSettings, clock: EngineClock | None = None) -> web.Application:
    """The engine's application; ``settings.control`` adds the ``/_engine/`` control plane."""
    middlewares = [errors_middleware, auth_middleware]
    if settings.control:
        middlewares = [request_log_middleware, *middlewares, fault_middleware]
    app = web.Application(middlewares=middlewares)
    app[SETTINGS] = settings
    app[CLOCK] = clock or EngineClock()
    app[LIFECYCLE] = Lifecycle()
    if settings.control:
        plane = ControlPlane(app[CLOCK], app[LIFECYCLE], seed=settings.seed)
        if settings.scenario is not None:
            plane.load_scenario(settings.scenario)
        app[CONTROL] = plane
    app.on_response_prepare.append(add_version_header)
    app.cleanup_ctx.extend([store_ctx, executors_ctx, fetcher_ctx, task_runner_ctx, assets_ctx])
    setup_routes(app, control=settings.control)
    return app
