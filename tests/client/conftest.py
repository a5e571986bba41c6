"""Fixtures: a scriptable loopback platform and a client bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

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


def make_client(fake: FakePlatform, **kwargs: object) -> AsyncTwelveLabs:
    kwargs.setdefault("timeout", 5.0)
    return AsyncTwelveLabs(fake.api_key, base_url=fake.base_url, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(params=["async", "sync"])
async def client(
    request: pytest.FixtureRequest, fake: FakePlatform
) -> AsyncIterator[AsyncTwelveLabs]:
    """Each test runs on the async client and on the sync one (seen through the async
    surface by ``tests/sync_adapter.py``, so test bodies stay the same)."""
    if request.param == "sync":
        from tests.sync_adapter import make_sync_client

        async with make_sync_client(fake) as s:
            yield s  # type: ignore[misc]
        return
    async with make_client(fake) as c:
        yield c
