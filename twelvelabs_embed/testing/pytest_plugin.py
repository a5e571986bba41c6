"""pytest plugin (entry point ``pytest11``): the engine as a fixture for your tests.

* ``tl_engine``: the engine for one test. One engine per session, started in a thread on
  a free port with the control plane on; after each test its faults, rate limits,
  request log, clock and lifecycle are reset (tasks stay). ``--tl-engine-url URL`` (or
  ``TWELVELABS_ENGINE_URL``, with ``TWELVELABS_ENGINE_API_KEY``) uses an engine that is
  already running (``twelvelabs-embed serve --control --api-key K``) instead.
* ``@pytest.mark.tl_engine(**options)``: this test gets its own engine, started with
  these :class:`~twelvelabs_embed.local.LocalEngine` options (``seed=7``,
  ``retention_days=1``, ``scenario={...}``, ...).
* ``tl_engine_session``: the shared engine itself, for session-scoped fixtures.

Works the same with this SDK and with the official ``twelvelabs`` SDK: point either at
``tl_engine.base_url`` with ``tl_engine.api_key``. Nothing is started until a test asks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from .control import EngineControl

ENV_URL = "TWELVELABS_ENGINE_URL"
ENV_API_KEY = "TWELVELABS_ENGINE_API_KEY"
MARKER = "tl_engine"


@attrs.frozen
class EngineHandle:
    """What a test needs: where the engine is, its key, and its control client."""

    base_url: str
    api_key: str
    control: EngineControl


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("twelvelabs-engine", "the Twelve Labs Embed engine as a test double")
    group.addoption(
        "--tl-engine-url",
        default=None,
        help=f"use the engine already serving this API URL (or ${ENV_URL}) instead of "
        "starting one; it must run with --control",
    )
    group.addoption(
        "--tl-engine-api-key",
        default=None,
        help=f"that engine's API key (or ${ENV_API_KEY})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): run this test on its own engine started with these "
        "LocalEngine options",
    )


def _start(data_dir: Path, **options: Any) -> Any:
    from ..local.engine import LocalEngine  # the [local] extra: only when a test asks

    options.setdefault("workers", 1)
    return LocalEngine(data_dir=data_dir, control=True, **options).start_in_thread()


@pytest.fixture(scope="session")
def tl_engine_session(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EngineHandle]:
    url = request.config.getoption("--tl-engine-url") or os.environ.get(ENV_URL)
    if url:
        key = request.config.getoption("--tl-engine-api-key") or os.environ.get(ENV_API_KEY)
        if not key:
            raise pytest.UsageError(
                f"--tl-engine-url needs --tl-engine-api-key (or ${ENV_API_KEY})"
            )
        with EngineControl(url, key) as control:
            yield EngineHandle(url, key, control)
        return
    engine = _start(tmp_path_factory.mktemp("tl-engine"))
    try:
        yield EngineHandle(engine.base_url, engine.api_key, engine.control)
    finally:
        engine.stop()


@pytest.fixture
def tl_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EngineHandle]:
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        engine = _start(tmp_path_factory.mktemp("tl-engine-own"), **marker.kwargs)
        try:
            yield EngineHandle(engine.base_url, engine.api_key, engine.control)
        finally:
            engine.stop()
        return
    shared: EngineHandle = request.getfixturevalue("tl_engine_session")
    try:
        yield shared
    finally:
        shared.control.reset()
