"""Which server a command talks to: the platform when a key or URL is set, else a local engine."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from rich.console import Console

from .._local_client import LocalClientContext, shared_data_dir
from ..client import API_KEY_ENV, BASE_URL_ENV, AsyncTwelveLabs
from .render import say


@contextlib.asynccontextmanager
async def connect(
    args: argparse.Namespace, console: Console, *, local: bool = False
) -> AsyncIterator[AsyncTwelveLabs]:
    """A client for the platform when a key or URL is given, else for a local engine."""
    key = args.api_key or os.environ.get(API_KEY_ENV) or None
    url = args.base_url or os.environ.get(BASE_URL_ENV) or None
    if not local and (key or url):
        async with AsyncTwelveLabs(key, base_url=url) as client:
            yield client
        return
    data_dir = Path(args.data_dir) if args.data_dir else shared_data_dir()
    say(
        console,
        f"No API key: using the local engine (data in {data_dir}); "
        f"set {API_KEY_ENV} for the platform.",
    )
    allow_private = bool(getattr(args, "allow_private_urls", False))
    encoder = getattr(args, "encoder", None)
    if encoder:  # the engine's encoder for this run (``--encoder semantic``)
        options = {"allow_private_urls": allow_private, "encoder": encoder}
        async with LocalClientContext(AsyncTwelveLabs, data_dir, **options) as client:
            yield client
        return
    async with AsyncTwelveLabs.local(data_dir, allow_private_urls=allow_private) as client:
        yield client
