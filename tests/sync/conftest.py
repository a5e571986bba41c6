"""Fixtures for the sync client: a loopback platform on its own thread and loop.

The sync client blocks its caller, so the server must not share the caller's loop
(an ``async def`` test that calls the sync client blocks the test's loop on purpose).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from tests.fakeplatform import FakePlatform
from twelvelabs_embed import TwelveLabs


class ThreadedPlatform:
    """A :class:`FakePlatform` served from a daemon thread running its own loop."""

    def __init__(self) -> None:
        self.fake = FakePlatform()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-platform", daemon=True)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with self.fake:
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> FakePlatform:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake platform did not start")
        return self.fake

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@pytest.fixture
def platform() -> Iterator[FakePlatform]:
    with ThreadedPlatform() as fake:
        yield fake


@pytest.fixture
def sync_client(platform: FakePlatform) -> Iterator[TwelveLabs]:
    with TwelveLabs(platform.api_key, base_url=platform.base_url, timeout=5.0) as client:
        yield client
