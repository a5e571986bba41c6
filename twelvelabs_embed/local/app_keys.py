"""Typed application keys (``web.AppKey``) shared by ``app.py``, handlers and middlewares."""

from __future__ import annotations

from aiohttp import web

from .executors.base import MediaExecutor
from .intake import TaskIntake
from .settings import EngineSettings
from .store import TaskStore
from .task_runner import TaskRunner
from .url_fetch import UrlFetcher

SETTINGS = web.AppKey("settings", EngineSettings)
STORE = web.AppKey("store", TaskStore)
EXECUTOR = web.AppKey("executor", MediaExecutor)
PROBE_EXECUTOR = web.AppKey("probe_executor", MediaExecutor)
FETCHER = web.AppKey("fetcher", UrlFetcher)
TASK_RUNNER = web.AppKey("task_runner", TaskRunner)
INTAKE = web.AppKey("intake", TaskIntake)
