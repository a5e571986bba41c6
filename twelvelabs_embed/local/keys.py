"""Typed application keys (``web.AppKey``) shared by ``app.py``, routes and middlewares."""

from __future__ import annotations

from aiohttp import web

from .processing import TaskProcessor
from .settings import EngineSettings
from .store import TaskStore
from .url_fetch import UrlFetcher
from .workers import MediaExecutor

SETTINGS = web.AppKey("settings", EngineSettings)
STORE = web.AppKey("store", TaskStore)
EXECUTOR = web.AppKey("executor", MediaExecutor)
PROBE_EXECUTOR = web.AppKey("probe_executor", MediaExecutor)
FETCHER = web.AppKey("fetcher", UrlFetcher)
PROCESSOR = web.AppKey("processor", TaskProcessor)
