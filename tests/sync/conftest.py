"""Fixtures for the sync client: the session's engine (the pytest plugin's, on its own
thread and loop), reset around each test, and a sync client bound to it.

The sync client blocks its caller, so the server must not share the caller's loop
(an ``async def`` test that calls the sync client blocks the test's loop on purpose).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from twelvelabs_embed import TwelveLabs
from twelvelabs_embed.testing.pytest_plugin import EngineHandle


@pytest.fixture
def engine(sync_engine: EngineHandle) -> EngineHandle:
    """No tasks, faults, limits or log, the real clock, ``auto`` (``tests/conftest.py``)."""
    return sync_engine


@pytest.fixture
def sync_client(engine: EngineHandle) -> Iterator[TwelveLabs]:
    # A safety net, not a behaviour under test: creating a task has the engine probe the
    # upload in its worker pool, which takes seconds on a loaded machine.
    with TwelveLabs(engine.api_key, base_url=engine.base_url, timeout=60.0) as client:
        yield client
