"""``LocalEngine``: the whole engine in-process, as an async context manager or a thread.

    async with LocalEngine(api_key="tlk_local") as engine:
        client = AsyncTwelveLabs(api_key=engine.api_key, base_url=engine.base_url)

``start_in_thread()``/``stop()`` (or ``with LocalEngine(...) as engine:``) run the same
engine on a private event loop in a daemon thread, for sync code and the CLI.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from aiohttp import web

from .app import make_app
from .keys import PROCESSOR
from .settings import API_PREFIX, EngineSettings

OPEN_ENGINE_KEY = "local"
"""What ``api_key`` reports for an engine without a key (which accepts any key)."""


class LocalEngine:
    """The Embed API v1.3 served on ``host:port`` (port 0 = a free port).

    Args:
        data_dir: where tasks persist; ``None`` uses a temporary directory removed on exit.
        api_key: required ``x-api-key``; ``None`` leaves the engine open.
        workers: worker processes for decoding and embedding.
        allow_private_urls: let ``video_url`` reach loopback and private addresses.
        port, host: where to listen; binds 127.0.0.1 by default.
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
        **settings: Any,
    ) -> None:
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self._options = dict(
            api_key=api_key, workers=workers, allow_private_urls=allow_private_urls, **settings
        )
        self.host = host
        self.port = port
        self.app: web.Application | None = None
        self._runner: web.AppRunner | None = None
        self._tmp: str | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- async ---------------------------------------------------------------------------

    async def __aenter__(self) -> LocalEngine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        data_dir = self._data_dir
        if data_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="twelvelabs-embed-")
            data_dir = Path(self._tmp)
        self.settings = EngineSettings(data_dir=data_dir, **self._options)
        self.app = make_app(self.settings)
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        try:
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
        except BaseException:
            await self.close()
            raise
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        try:
            if runner is not None:
                await runner.cleanup()
        finally:
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None

    async def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait until no task is queued or processing (handy in tests and scripts)."""
        assert self.app is not None, "the engine is not running"
        await asyncio.wait_for(self.app[PROCESSOR].idle.wait(), timeout)

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

    # --- sync ----------------------------------------------------------------------------

    def start_in_thread(self) -> LocalEngine:
        """Run the engine on its own event loop in a daemon thread; returns once it listens."""
        started: Future[None] = Future()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:
                started.set_exception(exc)
                loop.close()
                return
            started.set_result(None)
            loop.run_forever()
            loop.run_until_complete(self.close())
            loop.close()

        self._thread = threading.Thread(target=run, name="twelvelabs-embed-engine", daemon=True)
        self._thread.start()
        started.result()
        return self

    def stop(self) -> None:
        """Stop an engine started with ``start_in_thread`` and wait for a clean shutdown."""
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._thread = self._loop = None

    def wait_idle_sync(self, timeout: float = 60.0) -> None:
        assert self._loop is not None, "the engine is not running in a thread"
        asyncio.run_coroutine_threadsafe(self.wait_idle(timeout), self._loop).result()

    def __enter__(self) -> LocalEngine:
        return self.start_in_thread()

    def __exit__(self, *exc: object) -> None:
        self.stop()
