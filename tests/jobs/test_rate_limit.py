"""A platform that answers 429 with Retry-After: the job slows down, nothing fails, and a
429 pauses every create, not just the one that got it (on the fake: a fixed-window limiter
that records when each create arrived, with and without x-ratelimit headers); and a job
run by the sync client against the engine."""

from __future__ import annotations

import math
import time
from pathlib import Path

import orjson
import pytest
from aiohttp import web

from tests.fakeplatform import FakePlatform
from tests.jobs.conftest import copies
from twelvelabs_embed import AsyncTwelveLabs, TwelveLabs
from twelvelabs_embed.testing.pytest_plugin import EngineHandle


class LimitedPlatform(FakePlatform):
    """At most ``limit`` creates per fixed ``window``; beyond that 429 with Retry-After
    (whole seconds, rounded up, as the platform sends it) and, when ``headers``, the
    ``x-ratelimit-remaining``/``-reset`` pair on every create answer."""

    def __init__(self, limit: int, window: float, *, headers: bool) -> None:
        super().__init__()
        self.limit, self.window, self.headers = limit, window, headers
        self.accepted: list[float] = []
        self.refused: list[tuple[float, float]] = []  # (when, Retry-After sent)

    def _create(self, request: web.Request, body: bytes) -> web.Response:
        now = time.monotonic()
        start = math.floor(now / self.window) * self.window
        used = sum(1 for t in self.accepted if t >= start)
        left = start + self.window - now
        extra = {"x-ratelimit-reset": f"{left:.3f}"} if self.headers else {}
        if used >= self.limit:
            retry = max(1, math.ceil(left))
            self.refused.append((now, retry))
            body_ = orjson.dumps({"code": "too_many_requests", "message": "slow down"})
            headers = {"Retry-After": str(retry), **extra}
            if self.headers:
                headers["x-ratelimit-remaining"] = "0"
            return web.Response(
                status=429, body=body_, content_type="application/json", headers=headers
            )
        self.accepted.append(now)
        resp = super()._create(request, body)
        if self.headers:
            resp.headers.update(extra)
            resp.headers["x-ratelimit-remaining"] = str(self.limit - used - 1)
        return resp


URLS = [f"https://videos.example.com/clip{i:02d}.mp4" for i in range(50)]


@pytest.mark.parametrize(
    "headers", [False, True], ids=["retry-after-only", "with-ratelimit-headers"]
)
async def test_50_concurrent_creates_under_a_rate_limit_all_succeed(headers: bool) -> None:
    limit, window = 10, 1.0
    fake = LimitedPlatform(limit, window, headers=headers)
    async with fake:
        client = AsyncTwelveLabs(fake.api_key, base_url=fake.base_url, timeout=10)
        async with client:
            t0 = time.monotonic()
            results = await client.embed.tasks.embed_many(
                URLS, concurrency=50, poll_interval=0.1, max_attempts=2
            )
            took = time.monotonic() - t0
    assert [r.state for r in results] == ["retrieved"] * 50, [r.error_message for r in results]
    assert len(fake.accepted) == 50, "each input created exactly once"
    assert fake.refused, "the server did rate-limit"
    # fixed windows: the first one may be partial, so 50 creates span at least 3 boundaries
    assert took >= (50 / limit - 2) * window, "the job slowed down to the limit"
    # Every 429 closed the gate for everyone: apart from creates already on the wire,
    # none reached the server until its Retry-After had passed.
    arrivals = sorted([*fake.accepted, *(t for t, _ in fake.refused)])
    for when, retry in fake.refused:
        early = [t for t in arrivals if when + 0.3 < t < when + retry - 0.05]
        assert not early, f"{len(early)} creates arrived during a pause of {retry} s"
    if headers:
        # Only the opening burst (sent before any answer) overshoots; afterwards the
        # remaining/reset headers keep creates inside the limit.
        late = [t for t, _ in fake.refused if t > fake.refused[0][0] + 0.5]
        assert len(late) <= 3, late


def test_the_sync_client_runs_a_job_and_iterates_results(
    sync_engine: EngineHandle, clip_path: Path, tmp_path: Path
) -> None:
    import threading

    videos = copies(clip_path, tmp_path, 5)
    seen: list[int] = []
    with TwelveLabs(sync_engine.api_key, base_url=sync_engine.base_url) as client:
        items = list(
            client.embed.tasks.iter_embed_many(
                videos,
                poll_interval=0.05,
                on_progress=lambda p: seen.append(threading.get_ident()),
            )
        )
        assert sorted(i.index for i in items) == list(range(5))
        assert all(i.ok and i.embeddings is not None for i in items)
        assert items[0].embeddings is not None and items[0].embeddings.vectors.shape[1] == 512
        again = client.embed.tasks.embed_many(videos[:2], poll_interval=0.05)
        assert [r.source for r in again] == [str(v) for v in videos[:2]]
    assert seen and set(seen) == {threading.get_ident()}, "callbacks run in the caller's thread"
    assert len(sync_engine.control.requests.list(route="create_task")) == 7
