"""Which server a command talks to: the platform when a key or URL is set, else a local engine."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from rich.console import Console

from ..client import API_KEY_ENV, BASE_URL_ENV, AsyncTwelveLabs
from ..errors import TwelveLabsError
from .render import say


def engine_data_dir() -> Path:
    """Where the CLI's built-in engine keeps tasks, so later commands find earlier ones."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("twelvelabs-embed")) / "engine"


@contextlib.asynccontextmanager
async def connect(
    api_key: str | None, base_url: str | None, console: Console, *, local: bool = False
) -> AsyncIterator[AsyncTwelveLabs]:
    """A client for the platform when a key or URL is given, else for a local engine."""
    key = api_key or os.environ.get(API_KEY_ENV) or None
    url = base_url or os.environ.get(BASE_URL_ENV) or None
    if not local and (key or url):
        async with AsyncTwelveLabs(key, base_url=url) as client:
            yield client
        return
    try:
        from ..local.engine import LocalEngine
    except ImportError as exc:
        raise TwelveLabsError(
            f"No API key and the local engine is not installed ({exc.name} is missing): "
            f"set {API_KEY_ENV}, or pip install 'twelvelabs-embed[local]'"
        ) from exc
    data_dir = engine_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    say(
        console,
        f"No API key: using the local engine (data in {data_dir}); set {API_KEY_ENV} for the platform.",
    )
    async with (
        LocalEngine(data_dir=data_dir) as engine,
        AsyncTwelveLabs(engine.api_key, base_url=engine.base_url) as client,
    ):
        yield client
