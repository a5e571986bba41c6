"""Error mapping and retries against the engine's fault rules (the fake platform only for
what the engine cannot show: a retried upload's raw bytes)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

import twelvelabs_embed as tl
from tests.client.conftest import make_client
from tests.engine_double import EngineDouble
from tests.fakeplatform import FakePlatform, Fault

URL = "https://example.com/v.mp4"


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, {"code": "parameter_invalid", "message": "bad clip"}, tl.ParameterInvalidError),
        (
            400,
            {"code": "video_duration_too_short", "message": "short"},
            tl.VideoDurationTooShortError,
        ),
        (400, {"code": "some_new_code", "message": "new"}, tl.BadRequestError),
        (401, {"code": "api_key_invalid", "message": "no"}, tl.ApiKeyInvalidError),
        (403, {"code": "api_not_allowed", "message": "no"}, tl.ForbiddenError),
        (404, {"code": "resource_not_exist", "message": "gone"}, tl.ResourceNotExistError),
        (422, {"message": "odd"}, tl.errors.UnprocessableEntityError),
        (418, {"message": "teapot"}, tl.ApiError),
        # a code whose class belongs to another status is not trusted over the status
        (404, {"code": "video_file_broken", "message": "x"}, tl.NotFoundError),
    ],
)
async def test_status_and_code_choose_the_class(
    double: EngineDouble, status: int, body: dict[str, str], cls: type[tl.ApiError]
) -> None:
    await double.control.faults.add(
        "task_status", status=status, body=body, headers={"x-request-id": "req-1"}, count=1
    )
    async with make_client(double) as client:
        with pytest.raises(tl.ApiError) as info:
            await client.embed.tasks.status("t")
    err = info.value
    assert type(err) is cls
    assert err.status_code == status and err.body == body
    assert err.code == body.get("code") and err.message == body["message"]
    assert err.request_id == "req-1" and err.headers["x-request-id"] == "req-1"
    assert not err.preflight
    assert await double.count("task_status") == 1, "4xx is never retried"


async def test_non_json_error_body_is_kept_as_text(double: EngineDouble) -> None:
    await double.control.faults.add("task_status", status=400, body="not json", count=1)
    async with make_client(double) as client:
        with pytest.raises(tl.BadRequestError) as info:
            await client.embed.tasks.status("t")
    assert info.value.body == "not json" and info.value.code is None
    assert "not json" in str(info.value)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408, 409])
async def test_retryable_statuses_are_retried_then_succeed(
    double: EngineDouble, status: int
) -> None:
    await double.control.faults.add(
        "list_tasks",
        status=status,
        body="<html>down</html>",
        content_type="text/html",
        headers={"retry-after-ms": "10"},
        count=1,
    )
    async with make_client(double) as client:
        pager = await client.embed.tasks.list()
    assert pager.items == []
    assert [r.status for r in await double.requests("list_tasks")] == [status, 200]


async def test_retries_give_up_with_the_typed_error(double: EngineDouble) -> None:
    await double.control.faults.add(
        "list_tasks", status=503, body={"message": "busy"}, headers={"retry-after": "0"}
    )
    async with make_client(double, max_retries=2) as client:
        with pytest.raises(tl.ServiceUnavailableError) as info:
            await client.embed.tasks.list()
    assert info.value.status_code == 503
    assert await double.count("list_tasks") == 3


async def test_max_retries_zero_sends_once(double: EngineDouble) -> None:
    await double.control.faults.add("list_tasks", status=500, body={"message": "x"})
    async with make_client(double, max_retries=0) as client:
        with pytest.raises(tl.InternalServerError):
            await client.embed.tasks.list()
    assert await double.count("list_tasks") == 1


async def test_per_call_request_options_override_client(double: EngineDouble) -> None:
    await double.control.faults.add(
        "list_tasks", status=500, body={"message": "x"}, headers={"retry-after": "0"}, count=2
    )
    async with make_client(double, max_retries=0) as client:
        pager = await client.embed.tasks.list(request_options={"max_retries": 2})
    assert pager.items == [] and await double.count("list_tasks") == 3


async def test_retry_after_is_honoured(
    double: EngineDouble, caplog: pytest.LogCaptureFixture
) -> None:
    await double.control.faults.add(
        "list_tasks",
        status=429,
        code="too_many_requests",
        message="slow",
        headers={"retry-after": "0.3"},
        count=1,
    )
    import logging

    from tests.observe import retry_delays

    with caplog.at_level(logging.INFO, logger="twelvelabs_embed"):
        async with make_client(double) as client:
            await client.embed.tasks.list()
    assert retry_delays(caplog.records) == [0.3], "the hint, not the 0.375-0.5 s backoff"
    first, second = [r.at_ms for r in await double.requests("list_tasks")]
    assert second - first >= 280


async def test_rate_limit_error_exposes_retry_after(double: EngineDouble) -> None:
    await double.control.faults.add(
        "task_status", status=429, body={"message": "slow"}, headers={"Retry-After": "7"}
    )
    async with make_client(double, max_retries=0) as client:
        with pytest.raises(tl.RateLimitError) as info:
            await client.embed.tasks.status("t")
    assert info.value.retry_after == 7.0


async def test_retried_create_resends_the_identical_body(
    fake: FakePlatform, tmp_path: Path
) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(b"\x00\x01" * 50_000)
    fake.script(
        "POST",
        "create",
        Fault(503, json={"message": "x"}, headers={"retry-after-ms": "5"}),
        Fault(drop=True),
    )
    async with make_client(fake, preflight=False) as client:
        task = await client.embed.tasks.create(
            "marengo3.0",
            video_file=path,
            video_clip_length=4,
            video_embedding_scope=["clip", "video"],
        )
    assert task.id in fake.tasks
    bodies = [r.body for r in fake.requests if r.method == "POST"]
    assert len(bodies) == 3
    assert bodies[0] == bodies[1] == bodies[2]
    assert fake.tasks[task.id].file_size == 100_000
    assert fake.tasks[task.id].fields["video_clip_length"] == ["4"]


async def test_retried_create_from_file_object_rewinds(fake: FakePlatform, tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(b"abc" * 10_000)
    fake.script("POST", "create", Fault(502, text="bad gateway", headers={"retry-after": "0"}))
    async with make_client(fake, preflight=False) as client:
        with open(path, "rb") as f:
            await client.embed.tasks.create("marengo3.0", video_file=f)
    a, b = [r.body for r in fake.requests]
    assert a == b and b"abc" * 100 in b


async def test_dropped_connection_is_retried(double: EngineDouble) -> None:
    await double.control.faults.add("list_tasks", drop_connection=True, count=1)
    async with make_client(double) as client:
        await client.embed.tasks.list()
    dropped, answered = await double.requests("list_tasks")
    assert (dropped.dropped, answered.status) == (True, 200)


async def test_truncated_body_is_retried_then_raises_connection_error(
    double: EngineDouble,
) -> None:
    await double.control.faults.add(
        "task_status", status=200, body={"_id": "abcdef"}, cut_body_after_bytes=8, count=2
    )
    async with make_client(double, max_retries=1) as client:
        with pytest.raises(tl.ApiConnectionError) as info:
            await client.embed.tasks.status("t")
    assert not isinstance(info.value, tl.ApiTimeoutError)
    assert [(r.status, r.dropped) for r in await double.requests("task_status")] == [
        (200, True)
    ] * 2


async def test_slow_response_times_out_with_typed_error(double: EngineDouble) -> None:
    task_id = await double.processing_task()
    await double.control.faults.add("task_status", latency_ms=2000, count=2)
    async with make_client(double, timeout=0.3, max_retries=1) as client:
        with pytest.raises(tl.ApiTimeoutError, match="timeout"):
            await client.embed.tasks.status(task_id)
    assert await double.count("task_status") == 2


async def test_per_call_timeout(double: EngineDouble) -> None:
    task_id = await double.processing_task()
    await double.control.faults.add("task_status", latency_ms=1000, count=1)
    async with make_client(double, timeout=30, max_retries=0) as client:
        with pytest.raises(tl.ApiTimeoutError):
            await client.embed.tasks.status(task_id, request_options={"timeout_in_seconds": 0.2})


async def test_connection_refused_is_a_connection_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with tl.AsyncTwelveLabs(
        "k", base_url=f"http://127.0.0.1:{port}/v1.3", max_retries=1
    ) as client:
        with pytest.raises(tl.ApiConnectionError, match="cannot connect"):
            await client.embed.tasks.status("t")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("<html>ok</html>", "not JSON"),
        ({"created_at": "yesterday"}, "does not match"),
        ([1, 2], "does not match"),
        ({"video_embedding": {"segments": [{"float": ["a"]}]}}, "does not match"),
    ],
)
async def test_bad_success_bodies_raise_validation_error(
    double: EngineDouble, body: object, match: str
) -> None:
    await double.control.faults.add("retrieve_task", status=200, body=body, count=1)
    async with make_client(double) as client:
        with pytest.raises(tl.ApiResponseValidationError, match=match) as info:
            await client.embed.tasks.retrieve("t")
    assert info.value.status_code == 200


async def test_wrong_api_key_is_authentication_error(double: EngineDouble) -> None:
    async with tl.AsyncTwelveLabs("wrong", base_url=double.base_url) as client:
        with pytest.raises(tl.AuthenticationError) as info:
            await client.embed.tasks.status("t")
    assert info.value.code == "api_key_invalid"


async def test_closed_client_refuses_calls(double: EngineDouble) -> None:
    client = make_client(double)
    await client.close()
    with pytest.raises(tl.TwelveLabsError, match="closed"):
        await client.embed.tasks.status("t")
    assert await double.requests() == []


async def test_waiting_for_a_pooled_connection_is_not_a_timeout(double: EngineDouble) -> None:
    # three 0.5 s answers through one connection take 1.5 s, more than the 1.2 s timeout
    task_id = await double.processing_task()
    await double.control.faults.add("task_status", latency_ms=500, count=3)
    async with make_client(double, timeout=1.2, connection_limit=1, max_retries=0) as client:
        import asyncio

        results = await asyncio.gather(*(client.embed.tasks.status(task_id) for _ in range(3)))
    assert [r.status for r in results] == ["processing"] * 3
    assert [r.fault is not None for r in await double.requests("task_status")] == [True] * 3


@pytest.mark.parametrize("bad", ["127.0.0.1:8000/v1.3", "ftp://host/v1.3", "http:///v1.3"])
def test_bad_base_urls_and_timeouts_are_refused_at_once(bad: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        tl.AsyncTwelveLabs("k", base_url=bad)
    with pytest.raises(ValueError, match="timeout"):
        tl.AsyncTwelveLabs("k", base_url="http://127.0.0.1:1/v1.3", timeout=0)


def test_errors_survive_pickling() -> None:
    import pickle

    for err in [
        tl.WaitTimeoutError("m", task_id="t", last_status=None),
        tl.ApiResponseValidationError("m", status_code=200, body={"a": 1}, headers={"X-A": "1"}),
        tl.VideoDurationTooShortError("m", status_code=400, code="video_duration_too_short"),
    ]:
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and back.__dict__ == err.__dict__ and str(back) == str(err)
