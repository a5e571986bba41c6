"""``LocalEngine``: the whole engine in-process, as an async context manager or a thread.

    async with LocalEngine(api_key="tlk_local") as engine:
        client = AsyncTwelveLabs(api_key=engine.api_key, base_url=engine.base_url)

``start_in_thread()``/``stop()`` (or ``with LocalEngine(...) as engine:``) run the same
engine on a private event loop in a daemon thread, for sync code and the CLI.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

from .._aio import wait_within
from .._portal import Portal
from ..testing.control import AsyncEngineControl, EngineControl
from .app import make_app
from .app_keys import TASK_RUNNER, V2_RUNNER
from .http.server import EngineSite
from .main_guard import check_main_guard
from .settings import API_PREFIX, EngineSettings

OPEN_ENGINE_KEY = "local"
"""What ``api_key`` reports for an engine without a key (which accepts any key)."""
STOP_TIMEOUT_SEC = 60.0
"""How long ``stop()`` lets the engine close (workers, downloads, the database)."""


class LocalEngine:
    """The Embed API v1.3 served on ``host:port`` (port 0 = a free port).

    Args:
        data_dir: where tasks persist; ``None`` uses a temporary directory removed on exit.
        api_key: required ``x-api-key``; ``None`` leaves the engine open.
        workers: worker processes for decoding and embedding.
        allow_private_urls: let ``video_url`` reach loopback and private addresses.
        port, host: where to listen; binds 127.0.0.1 by default.
        control: serve the test-double control plane under ``/_engine/`` (faults, forced
            task states, clock, rate limits, request log); it needs the API key, so a
            random one is made when ``api_key`` is ``None``. See ``docs/testing.md``.
        **settings: any other ``EngineSettings`` field (``max_file_size``, ``retention_days``,
            ``fetch_timeout_sec``, ``executor="ray"`` with ``ray_address=...``, ...).
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        api_key: str | None = None,
        workers: int = 2,
        allow_private_urls: bool = False,
        port: int = 0,
        host: str = "127.0.0.1",
        control: bool = False,
        **settings: Any,
    ) -> None:
        self._data_dir = Path(data_dir) if data_dir is not None else None
        if control and api_key is None:
            api_key = "tlk_engine_" + secrets.token_hex(12)
        self._options = dict(
            api_key=api_key,
            workers=workers,
            allow_private_urls=allow_private_urls,
            control=control,
            **settings,
        )
        self._control: EngineControl | None = None
        self._async_control: AsyncEngineControl | None = None
        self.host = host
        self.port = port
        self.app: web.Application | None = None
        self._runner: web.AppRunner | None = None
        self._tmp: str | None = None
        self._portal: Portal | None = None

    # --- async ---------------------------------------------------------------------------

    async def __aenter__(self) -> LocalEngine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen and start processing.

        Raises:
            MainModuleNotGuardedError: a script's unguarded top level started the engine.
        """
        check_main_guard()
        data_dir = self._data_dir
        if data_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="twelvelabs-embed-")
            data_dir = Path(self._tmp)
        self.settings = EngineSettings(data_dir=data_dir, **self._options)
        self.app = make_app(self.settings)
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        try:
            await self._runner.setup()
            s = self.settings
            site = EngineSite(
                self._runner,
                self.host,
                self.port,
                max_connections=s.max_connections,
                header_timeout=s.header_timeout_sec,
                body_min_rate=s.body_min_rate,
                body_grace=s.body_grace_sec,
            )
            await site.start()
        except BaseException:
            await self.close()
            raise
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        async_control, self._async_control = self._async_control, None
        if async_control is not None:
            await async_control.aclose()
        runner, self._runner = self._runner, None
        try:
            if runner is not None:
                await runner.cleanup()
        finally:
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None

    async def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait until no task (v1 or v2) is queued or processing (handy in tests and scripts)."""
        assert self.app is not None, "the engine is not running"
        v1, v2 = self.app[TASK_RUNNER].idle, self.app[V2_RUNNER].idle

        async def both() -> None:
            while not (v1.is_set() and v2.is_set()):
                await v1.wait()
                await v2.wait()

        await wait_within(both(), timeout)

    # --- addresses -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1.3``: pass it as the SDKs' ``base_url``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{API_PREFIX}"

    @property
    def api_key(self) -> str:
        """The key clients should send (any key works when the engine is open)."""
        key = self._options.get("api_key")
        return key if isinstance(key, str) else OPEN_ENGINE_KEY

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    # --- the control plane (``control=True``) --------------------------------------------

    @property
    def control(self) -> EngineControl:
        """The blocking control client, for an engine running in a thread
        (``with LocalEngine(control=True) as engine:``)."""
        if self._portal is None:
            raise RuntimeError(
                "engine.control blocks, and this engine runs on the caller's event loop: "
                "use `await engine.async_control...` in async code"
            )
        if self._control is None:
            self._control = EngineControl(self.base_url, self.api_key)
        return self._control

    @property
    def async_control(self) -> AsyncEngineControl:
        """The async control client (``await engine.async_control.faults.add(...)``)."""
        if self._async_control is None:
            self._async_control = AsyncEngineControl(self.base_url, self.api_key)
        return self._async_control

    # --- sync ----------------------------------------------------------------------------

    def start_in_thread(self) -> LocalEngine:
        """Run the engine on a private event loop in a daemon thread (the sync client's
        :class:`~twelvelabs_embed._portal.Portal`); returns once it listens."""
        portal = Portal(
            self.close, name="twelvelabs-embed-engine", shutdown_timeout=STOP_TIMEOUT_SEC
        )
        try:
            portal.call(self.start)
        except BaseException:
            portal.close()
            raise
        self._portal = portal
        return self

    def stop(self) -> None:
        """Stop an engine started with ``start_in_thread`` and wait for a clean shutdown."""
        control, self._control = self._control, None
        if control is not None:
            control.close()
        portal, self._portal = self._portal, None
        if portal is not None:
            portal.close(self.close)

    def wait_idle_sync(self, timeout: float = 60.0) -> None:
        assert self._portal is not None, "the engine is not running in a thread"
        self._portal.call(self.wait_idle, timeout)

    def __enter__(self) -> LocalEngine:
        return self.start_in_thread()

    def __exit__(self, *exc: object) -> None:
        self.stop()
