"""``AsyncTwelveLabs.local()`` / ``TwelveLabs.local()``: a client on a local engine started for it.

The engine runs in this process (its decoding in worker processes) and keeps its tasks in
the same directory as the CLI's built-in engine, so ``twelvelabs-embed list`` shows tasks
made from Python and the other way round. Needs the ``local`` extra (PyAV); the engine is
imported only when the context is entered, so the SDK never loads it otherwise.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

C = TypeVar("C")


def shared_data_dir() -> Path:
    """Where the CLI's engine and ``.local()`` keep tasks (``~/.cache/twelvelabs-embed/engine``
    on Linux; ``XDG_CACHE_HOME`` moves it)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("twelvelabs-embed")) / "engine"


def _engine_class() -> Any:
    try:
        from .local.engine import LocalEngine
    except ImportError as exc:
        from .errors import TwelveLabsError

        raise TwelveLabsError(
            f"the local engine is not installed ({exc.name} is missing): "
            "pip install 'twelvelabs-embed[local]', or use the platform with an API key"
        ) from exc
    return LocalEngine


class LocalClientContext(Generic[C]):
    """Starts an engine on entry, hands back a client of ``client_class`` for it, and
    closes both on exit. ``async with`` for the async client, ``with`` for the sync one.

    Args:
        client_class: ``AsyncTwelveLabs`` or ``TwelveLabs``.
        data_dir: where tasks persist; ``None`` shares the CLI's engine directory.
        engine_options: passed to ``LocalEngine`` (``workers``, ``allow_private_urls``, ...).
    """

    def __init__(
        self,
        client_class: type[C],
        data_dir: str | os.PathLike[str] | None = None,
        **engine_options: Any,
    ) -> None:
        self._client_class = client_class
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self._engine_options = engine_options
        self._is_async = hasattr(client_class, "__aenter__")
        self._engine: Any = None
        self._client: Any = None
        self._stack = contextlib.ExitStack()

    def _new_engine(self) -> Any:
        data_dir = self._data_dir if self._data_dir is not None else shared_data_dir()
        data_dir.mkdir(parents=True, exist_ok=True)
        return _engine_class()(data_dir=data_dir, **self._engine_options)

    def _new_client(self) -> C:
        new: Any = self._client_class
        client: C = new(self._engine.api_key, base_url=self._engine.base_url)
        return client

    async def __aenter__(self) -> C:
        if not self._is_async:
            raise TypeError(f"use `with {self._client_class.__name__}.local() as client:`")
        self._engine = self._new_engine()
        await self._engine.start()
        try:
            self._client = self._new_client()
        except BaseException:
            await self._engine.close()
            raise
        client: C = self._client
        return client

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._client is not None:
                await self._client.close()
        finally:
            self._client = None
            if self._engine is not None:
                await self._engine.close()
                self._engine = None

    def __enter__(self) -> C:
        if self._is_async:
            raise TypeError(f"use `async with {self._client_class.__name__}.local() as client:`")
        with contextlib.ExitStack() as stack:
            self._engine = stack.enter_context(self._new_engine())
            self._client = stack.enter_context(self._new_client())  # type: ignore[arg-type]
            self._stack = stack.pop_all()
        client: C = self._client
        return client

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, contextlib.ExitStack()
        self._client = self._engine = None
        stack.close()
