"""Shared helpers for the reliability suite: leak checks and bounded waits."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psutil
import pytest
import requests

from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.local.url_fetch import FetchFailed


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWELVELABS_BASE_URL", raising=False)
    monkeypatch.delenv("TWELVE_LABS_API_KEY", raising=False)


def open_paths(prefix: Path) -> list[str]:
    """Regular files under ``prefix`` this process still has open."""
    root = str(prefix)
    return [f.path for f in psutil.Process().open_files() if f.path.startswith(root)]


@pytest.fixture
async def no_leaks(tmp_path: Path) -> AsyncIterator[None]:
    """Fails the test if it leaves a file under ``tmp_path`` open, or more sockets and
    descriptors than it started with once everything it opened has been closed.

    Unclosed aiohttp sessions are caught too: their ``ResourceWarning`` fires on
    ``gc.collect()`` and pytest turns it into an error (warnings are errors here).
    """
    gc.collect()
    before = psutil.Process().num_fds()
    yield
    gc.collect()
    assert open_paths(tmp_path) == [], "an upload left its file open"
    # Server-side sockets of the loopback platform close when they read EOF; give the
    # loop a bounded moment to get there.
    for _ in range(100):
        if psutil.Process().num_fds() <= before:
            break
        await asyncio.sleep(0.02)
    assert psutil.Process().num_fds() <= before, "descriptors leaked"


@pytest.fixture
def sparse_file(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB sparse file: no disk used, every byte still read and sent."""
    path = tmp_path / "big.mp4"
    with open(path, "wb") as f:
        f.truncate(16 * 1024 * 1024)
    yield path
    os.unlink(path)


class OfflineFetcher:
    """Stands in for the engine's ``UrlFetcher``: every download fails at once, so fuzzed
    URLs never leave the machine. Swap it in with
    ``engine.app[DOWNLOADS]._fetcher = OfflineFetcher()``."""

    async def fetch(self, url: str, dest: Path) -> int:
        raise FetchFailed("parameter_invalid", "downloads are disabled in this test")


@pytest.fixture(scope="module")
def api(engine: LocalEngine) -> Iterator[requests.Session]:
    """A ``requests`` session carrying the key of the module's own ``engine`` fixture."""
    with requests.Session() as s:
        s.headers["x-api-key"] = engine.api_key
        yield s
