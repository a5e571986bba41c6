"""Fixtures for every test package: the engine as the platform double, and a real clip."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.engine_double import EngineDouble
from tests.videos import make_video
from twelvelabs_embed.testing import AsyncEngineControl
from twelvelabs_embed.testing.pytest_plugin import EngineHandle


@pytest.fixture(scope="session")
def clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real video the engine accepts (4.5 s, 480x360, with audio), made once."""
    d = tmp_path_factory.mktemp("clip")
    return make_video(d / "clip.mp4", width=480, height=360, duration=4.5, fps=8, audio=True)


@pytest.fixture(scope="session")
def clip(clip_path: Path) -> bytes:
    return clip_path.read_bytes()


@pytest.fixture
def sync_engine(tl_engine_session: EngineHandle) -> Iterator[EngineHandle]:
    """The same engine for sync tests, reset the same way through the blocking control."""
    tl_engine_session.control.reset(tasks=True)
    try:
        yield tl_engine_session
    finally:
        tl_engine_session.control.reset(tasks=True)


@pytest.fixture
async def double(tl_engine_session: EngineHandle) -> AsyncIterator[EngineDouble]:
    """The session's engine with no tasks, faults, limits or log, on the real clock in
    ``auto``; left the same way (tasks deleted first, so no parked task ever runs)."""
    handle = tl_engine_session
    control = AsyncEngineControl(handle.base_url, handle.api_key)
    await control.reset(tasks=True)
    try:
        yield EngineDouble(handle.base_url, handle.api_key, control, handle.control)
    finally:
        await control.reset(tasks=True)
        await control.aclose()
