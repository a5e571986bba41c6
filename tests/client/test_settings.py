"""Settings order: argument, then environment, then default. The headers a client sends
are read from the fake platform (the engine's request log never holds headers)."""

from __future__ import annotations

import pytest

import twelvelabs_embed as tl
from tests.engine_double import EngineDouble
from tests.fakeplatform import FakePlatform


def test_no_key_for_the_platform_is_a_clear_error() -> None:
    with pytest.raises(tl.TwelveLabsError, match="TWELVE_LABS_API_KEY"):
        tl.AsyncTwelveLabs()


def test_environment_fills_key_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWELVE_LABS_API_KEY", "tlk_env")
    monkeypatch.setenv("TWELVELABS_BASE_URL", "http://127.0.0.1:1/v1.3")
    client = tl.AsyncTwelveLabs()
    assert (client.api_key, client.base_url) == ("tlk_env", "http://127.0.0.1:1/v1.3")
    explicit = tl.AsyncTwelveLabs("tlk_arg", base_url="http://127.0.0.1:2/v1.3")
    assert (explicit.api_key, explicit.base_url) == ("tlk_arg", "http://127.0.0.1:2/v1.3")


def test_default_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert tl.AsyncTwelveLabs("k").base_url == "https://api.twelvelabs.io/v1.3"
    with pytest.raises(ValueError):
        tl.AsyncTwelveLabs("k", max_retries=-1)


async def test_a_keyless_client_may_talk_to_an_open_local_server(fake: FakePlatform) -> None:
    async with tl.AsyncTwelveLabs(base_url=fake.base_url) as client:
        with pytest.raises(tl.AuthenticationError):
            await client.embed.tasks.status("t")
    assert "x-api-key" not in {k.lower() for k in fake.requests[0].headers}


async def test_headers_and_user_agent(fake: FakePlatform) -> None:
    async with tl.AsyncTwelveLabs(
        fake.api_key, base_url=fake.base_url, headers={"X-Trace": "1"}
    ) as client:
        await client.embed.tasks.list()
    headers = fake.requests[0].headers
    assert headers["X-Trace"] == "1" and headers["User-Agent"].startswith("twelvelabs-embed/")


async def test_each_kind_really_runs_its_own_client(double: EngineDouble, client_kind: str) -> None:
    from tests.client.conftest import make_client

    client = make_client(double)
    expected = "AsyncTwelveLabs" if client_kind == "async" else "AsyncSurface"
    assert type(client).__name__ == expected
    async with client:
        await client.embed.tasks.list()
    assert await double.count("list_tasks") == 1


async def test_additional_headers_go_with_that_call_only(fake: FakePlatform) -> None:
    from tests.client.conftest import make_client

    async with make_client(fake, preflight=False) as client:
        await client.embed.tasks.list(request_options={"additional_headers": {"X-Trace": "2"}})
        await client.embed.tasks.create(
            "marengo3.0",
            video_file=b"data",
            request_options={"additional_headers": {"X-Engine-Fault": "503"}},
        )
        await client.embed.tasks.list()
    listed, created, plain = fake.requests
    assert listed.headers["X-Trace"] == "2" and "X-Trace" not in plain.headers
    assert created.headers["X-Engine-Fault"] == "503"
    assert created.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert created.headers["x-api-key"] == fake.api_key
