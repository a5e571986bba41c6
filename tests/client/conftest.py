"""Fixtures: a client of each kind bound to the engine (``double``, from
``tests/conftest.py``) or, where only it can produce the case, to the scriptable fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar

import pytest

from tests.engine_double import EngineDouble, Server
from tests.fakeplatform import FakePlatform
from twelvelabs_embed import AsyncTwelveLabs


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWELVELABS_BASE_URL", raising=False)
    monkeypatch.delenv("TWELVE_LABS_API_KEY", raising=False)


@pytest.fixture
async def fake() -> AsyncIterator[FakePlatform]:
    async with FakePlatform() as platform:
        yield platform


_KIND: ContextVar[str] = ContextVar("client_kind", default="async")


@pytest.fixture(params=["async", "sync"], autouse=True)
def client_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test here runs on the async client and on the sync one (seen through the
    async surface by ``tests/sync_adapter.py``, so test bodies stay the same)."""
    token = _KIND.set(request.param)
    yield request.param
    _KIND.reset(token)


def make_client(server: Server, **kwargs: object) -> AsyncTwelveLabs:
    """A client of this test's kind bound to ``server``; use it as ``async with``."""
    # A safety net (tests of timeouts pass their own): an upload to the engine double is
    # probed in its worker pool, which takes seconds on a loaded machine.
    kwargs.setdefault("timeout", 60.0)
    if _KIND.get() == "sync":
        from tests.sync_adapter import make_sync_client

        return make_sync_client(server, **kwargs)  # type: ignore[return-value]
    return AsyncTwelveLabs(server.api_key, base_url=server.base_url, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def client(fake: FakePlatform) -> AsyncIterator[AsyncTwelveLabs]:
    """A client of this test's kind bound to the fake platform."""
    async with make_client(fake) as c:
        yield c


@pytest.fixture
async def fake_client(fake: FakePlatform) -> AsyncIterator[AsyncTwelveLabs]:
    """The same as ``client``, by a name that says it (modules on the engine rebind
    ``client``)."""
    async with make_client(fake) as c:
        yield c


@pytest.fixture
async def engine_client(double: EngineDouble) -> AsyncIterator[AsyncTwelveLabs]:
    """A client of this test's kind bound to the engine (modules on the engine rebind
    ``client`` to it)."""
    async with make_client(double) as c:
        yield c
