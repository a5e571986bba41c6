"""A job's progress shows the bytes of uploads in flight, and they clear when done."""

from __future__ import annotations

from pathlib import Path

from tests.fakeplatform import FakePlatform
from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.jobs.models import JobProgress


async def test_progress_reports_upload_bytes(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    with open(path, "wb") as f:
        f.truncate(48 * 1024 * 1024)
    seen: list[JobProgress] = []
    async with (
        FakePlatform(polls_until_ready=0) as fake,
        AsyncTwelveLabs(fake.api_key, base_url=fake.base_url, preflight=False) as client,
    ):
        results = await client.embed.tasks.embed_many(
            [path], journal=tmp_path / "job.db", poll_interval=0.05, on_progress=seen.append
        )
    assert [r.state for r in results] == ["retrieved"]
    in_flight = [p for p in seen if p.upload_bytes_total]
    assert in_flight, "no progress snapshot was taken while the upload ran"
    assert all(p.upload_bytes_total == path.stat().st_size for p in in_flight)
    assert all(0 <= p.upload_bytes_sent <= p.upload_bytes_total for p in in_flight)
    assert seen[-1].upload_bytes_total == 0
