"""The job's progress figures: the ETA is paced by successes, never by fast failures."""

from __future__ import annotations

import pytest

from twelvelabs_embed.jobs.models import JobProgress


def progress(finished: int, failed: int, done: int, total: int = 10) -> JobProgress:
    return JobProgress(
        total=total,
        counts={},
        done=done,
        failed=failed,
        elapsed_sec=60.0,
        video_sec=0.0,
        finished_this_run=finished,
        failed_this_run=failed,
    )


@pytest.mark.parametrize(
    ("finished", "failed", "done", "eta"),
    [
        (2, 0, 2, 8 * 60 / 2),  # 30 s a video, 8 left
        (5, 3, 5, 5 * 60 / 2),  # 3 failed at once: still 30 s per success
        (4, 4, 4, None),  # only failures so far: no pace to tell
        (0, 0, 0, None),
    ],
)
def test_eta_counts_only_successes(
    finished: int, failed: int, done: int, eta: float | None
) -> None:
    assert progress(finished, failed, done).eta_sec == eta
