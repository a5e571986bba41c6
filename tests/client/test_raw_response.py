"""Raw twins: ``tasks.with_raw_response.<method>`` answers with the body and the HTTP facts;
the plain methods return exactly that body. Every test runs on both clients."""

from __future__ import annotations

from pathlib import Path

import pytest

import twelvelabs_embed as tl
from tests.client.conftest import make_client
from tests.engine_double import URL, EngineDouble
from tests.fakeplatform import FakePlatform


@pytest.fixture
def client(engine_client: tl.AsyncTwelveLabs) -> tl.AsyncTwelveLabs:
    """In this module ``client`` talks to the engine."""
    return engine_client


async def test_every_endpoint_has_a_raw_twin(
    double: EngineDouble, client: tl.AsyncTwelveLabs, clip: bytes
) -> None:
    await double.control.lifecycle.set("manual")
    raw = client.embed.tasks.with_raw_response
    created = await raw.create("marengo3.0", video_file=clip)
    assert isinstance(created, tl.HttpResponse) and created.status_code == 200
    assert isinstance(created.data, tl.TasksCreateResponse) and created.attempts == 1
    assert created.headers["content-type"].startswith("application/json")
    assert await double.control.tasks.complete(created.data.id) == "ready"
    status = await raw.status(created.data.id)
    assert status.data.id == created.data.id and status.data.status == "ready"
    retrieved = await raw.retrieve(created.data.id, embedding_option="visual")
    assert retrieved.data.id == created.data.id and retrieved.status_code == 200
    page = await raw.list(page_limit=5)
    assert [t.id for t in page.data.data or []] == [created.data.id]
    sent = [(r.method, r.path, r.query) for r in await double.requests()]
    assert sent == [
        ("POST", "/v1.3/embed/tasks", []),
        ("GET", f"/v1.3/embed/tasks/{created.data.id}/status", []),
        ("GET", f"/v1.3/embed/tasks/{created.data.id}", [("embedding_option", "visual")]),
        ("GET", "/v1.3/embed/tasks", [("page", "1"), ("page_limit", "5")]),
    ]


async def test_the_plain_method_returns_the_raw_twins_body(
    double: EngineDouble, client: tl.AsyncTwelveLabs
) -> None:
    await double.control.lifecycle.set("manual")  # URL tasks are never fetched
    task = await client.embed.tasks.create("marengo3.0", video_url=URL)
    plain = await client.embed.tasks.status(task.id)
    raw = await client.embed.tasks.with_raw_response.status(task.id)
    assert raw.data.id == plain.id and raw.data.model_name == plain.model_name


async def test_attempts_headers_and_request_id_after_a_retry(double: EngineDouble) -> None:
    task_id = await double.processing_task()
    await double.control.rate_limits.set(
        [{"route": "task_status", "dimension": "requests", "limit": 10, "window_sec": 60}]
    )
    await double.control.faults.add(
        "task_status", status=503, body={"message": "busy"}, headers={"retry-after": "0"}, count=1
    )
    async with make_client(double) as client:
        raw = await client.embed.tasks.with_raw_response.status(task_id)
    assert (raw.status_code, raw.attempts) == (200, 2)
    assert raw.request_id is not None and raw.request_id == raw.headers["X-Request-Id"]
    assert raw.headers["X-RateLimit-Remaining"] == "9"  # case-insensitive, as sent
    assert raw.data.status == "processing"


async def test_prepared_create_resends_the_identical_bytes(
    fake: FakePlatform, tmp_path: Path
) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(b"\x00\x01" * 20_000)
    async with make_client(fake, preflight=False) as client:
        raw = client.embed.tasks.with_raw_response
        prepared = await raw.prepare_create("marengo3.0", video_file=path, video_clip_length=4)
        assert fake.requests == []  # preparing sends nothing
        first = await raw.send_create(prepared)
        second = await raw.send_create(prepared)
    assert first.data.id != second.data.id
    a, b = [r for r in fake.requests if r.method == "POST"]
    assert a.body == b.body and a.headers["Content-Type"] == b.headers["Content-Type"]


async def test_a_raw_twin_raises_the_same_errors(double: EngineDouble) -> None:
    async with make_client(double) as client:
        with pytest.raises(tl.NotFoundError) as info:
            await client.embed.tasks.with_raw_response.status("0" * 24)
    assert info.value.status_code == 404 and info.value.code == "resource_not_exist"
