"""Typed application and request keys (``web.AppKey``, ``web.RequestKey``) shared by
``app.py``, handlers and middlewares."""

from __future__ import annotations

from aiohttp import web

from .assets import AssetService
from .control.clock import EngineClock
from .control.lifecycle import Lifecycle
from .control.plane import ControlPlane
from .control.request_log import LoggedRequest
from .downloads import Downloads
from .executors.base import MediaExecutor
from .intake import CreateForm, TaskIntake
from .settings import EngineSettings
from .store import TaskRecord, TaskStore
from .task_runner import TaskRunner
from .upload_space import UploadSpace
from .uploads import MultipartUploads
from .url_fetch import UrlFetcher
from .v2_sources import AssetLookup
from .v2_store import V2TaskStore
from .v2_task_runner import V2TaskRunner

SETTINGS = web.AppKey("settings", EngineSettings)
CLOCK = web.AppKey("clock", EngineClock)
LIFECYCLE = web.AppKey("lifecycle", Lifecycle)
CONTROL = web.AppKey("control", ControlPlane)
"""Present only when the engine runs with ``control=True``."""
STORE = web.AppKey("store", TaskStore)
EXECUTOR = web.AppKey("executor", MediaExecutor)
PROBE_EXECUTOR = web.AppKey("probe_executor", MediaExecutor)
FETCHER = web.AppKey("fetcher", UrlFetcher)
DOWNLOADS = web.AppKey("downloads", Downloads)
UPLOAD_SPACE = web.AppKey("upload_space", UploadSpace)
TASK_RUNNER = web.AppKey("task_runner", TaskRunner)
INTAKE = web.AppKey("intake", TaskIntake)
V2_STORE = web.AppKey("v2_store", V2TaskStore)
V2_RUNNER = web.AppKey("v2_runner", V2TaskRunner)
ASSETS = web.AppKey("assets", AssetLookup)
"""Finds a ready asset's file for ``media_source.asset_id`` (the engine's ``AssetService``)."""
ASSET_SERVICE = web.AppKey("asset_service", AssetService)
UPLOADS = web.AppKey("uploads", MultipartUploads)

LOG_ENTRY = web.RequestKey("log_entry", LoggedRequest)
"""The request's request-log entry (control plane on)."""
CREATE_FORM = web.RequestKey("create_form", CreateForm)
CREATED_TASK = web.RequestKey("created_task", TaskRecord)
TOUCHED_TASK = web.RequestKey("touched_task", str)
"""The task id a request read or created, for the request log."""
