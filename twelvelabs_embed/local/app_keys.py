"""Typed application keys (``web.AppKey``) shared by ``app.py``, handlers and middlewares."""

from __future__ import annotations

from aiohttp import web

from .executors.base import MediaExecutor
from .intake import TaskIntake
from .settings import EngineSettings
from .store import TaskStore
from .task_runner import TaskRunner
from .url_fetch import UrlFetcher
from .v2_sources import AssetLookup
from .v2_store import V2TaskStore
from .v2_task_runner import V2TaskRunner

SETTINGS = web.AppKey("settings", EngineSettings)
STORE = web.AppKey("store", TaskStore)
EXECUTOR = web.AppKey("executor", MediaExecutor)
PROBE_EXECUTOR = web.AppKey("probe_executor", MediaExecutor)
FETCHER = web.AppKey("fetcher", UrlFetcher)
TASK_RUNNER = web.AppKey("task_runner", TaskRunner)
INTAKE = web.AppKey("intake", TaskIntake)
V2_STORE = web.AppKey("v2_store", V2TaskStore)
V2_RUNNER = web.AppKey("v2_runner", V2TaskRunner)
ASSETS = web.AppKey("assets", AssetLookup)
"""Finds an asset's file for ``media_source.asset_id``; ``NoAssets`` until assets exist."""
