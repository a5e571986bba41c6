"""``video_url`` / ``url`` downloads beside the media queues, shared by every task family.

A download never holds a media worker: a runner starts one here and moves on, and the
download calls the runner back when its file is complete (or why it failed). At most
``max_at_once`` run at a time across v1 and v2 tasks; each is held to a minimum rate and a
total limit by :class:`~.url_fetch.UrlFetcher`, so a slow server costs one slot, not the
engine. A file is written as ``<dest>.part`` and renamed when complete, so a crash never
leaves a partial file that looks finished (the runners sweep ``*.part`` at start).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from .url_fetch import FetchFailed, UrlFetcher

log = logging.getLogger(__name__)

PART_SUFFIX = ".part"
Done = Callable[[FetchFailed | None], Awaitable[None]]
"""Called once with ``None`` (the file is at ``dest``) or the reason it is not."""


class Downloads:
    """Background downloads with a shared limit; ``aclose()`` cancels what is running."""

    def __init__(self, fetcher: UrlFetcher, max_at_once: int) -> None:
        self._fetcher = fetcher
        self._slots = asyncio.Semaphore(max(1, max_at_once))
        self._running: dict[Path, asyncio.Task[None]] = {}
        self._closed = False

    def running(self, dest: Path) -> bool:
        return dest in self._running

    def start(self, url: str, dest: Path, done: Done) -> bool:
        """Download ``url`` to ``dest`` in the background, then call ``done``. ``False``
        (and no call) when ``dest`` is already being downloaded or downloads are closed."""
        if self._closed or dest in self._running:
            return False
        self._running[dest] = asyncio.create_task(
            self._run(url, dest, done), name=f"tl-download-{dest.name}"
        )
        return True

    async def fetch(self, url: str, dest: Path) -> None:
        """Download now (waiting for a slot).

        Raises:
            FetchFailed: the URL could not be downloaded; nothing is left at ``dest``.
        """
        part = dest.with_name(dest.name + PART_SUFFIX)
        async with self._slots:
            await self._fetcher.fetch(url, part)
        os.replace(part, dest)

    async def _run(self, url: str, dest: Path, done: Done) -> None:
        try:
            failure: FetchFailed | None = None
            try:
                await self.fetch(url, dest)
            except FetchFailed as exc:
                failure = exc
            await done(failure)
        except asyncio.CancelledError:
            raise
        except Exception:  # the caller's callback or the disk: log, never lose the loop
            log.exception("download to %s failed unexpectedly", dest.name)
        finally:
            self._running.pop(dest, None)

    async def aclose(self) -> None:
        self._closed = True
        tasks = list(self._running.values())
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._running.clear()
