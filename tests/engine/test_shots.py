"""Shot detection for ``dynamic`` segmentation: the pure parts by table, then real video."""

from __future__ import annotations

import colorsys
from pathlib import Path

import numpy as np
import pytest

from tests.videos import make_video
from twelvelabs_embed.local.media import shots


def test_hsv_matches_colorsys_on_opencv_scales() -> None:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (50, 3), dtype=np.uint8)
    got = shots.rgb_to_hsv(rgb)
    for (r, g, b), (h, s, v) in zip(rgb.tolist(), got.tolist(), strict=True):
        eh, es, ev = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
        assert v == pytest.approx(ev * 255, abs=1e-3) and s == pytest.approx(es * 255, abs=1e-2)
        if es > 0:
            assert min(abs(h - eh * 180), 180 - abs(h - eh * 180)) < 1e-2


@pytest.mark.parametrize(
    ("scores", "min_len", "cuts"),
    [
        ([0, 0, 40, 0, 0, 0, 40, 0], 1.0, [2.0, 6.0]),
        ([0, 0, 40, 40, 0, 0, 0, 0], 2.0, [2.0]),  # the second is too close to the first
        ([0, 40, 0, 0, 0, 0, 0, 0], 2.0, []),  # too close to the start
        ([0, 0, 26.9, 0, 27.0, 0, 0, 0], 1.0, [4.0]),  # the threshold is inclusive
    ],
)
def test_cut_times(scores: list[float], min_len: float, cuts: list[float]) -> None:
    times = [float(i) for i in range(len(scores))]
    assert shots.cut_times(times, scores, min_len, 0.0) == cuts


@pytest.mark.parametrize(
    ("cuts", "clips"),
    [
        ([], [(0, 10)]),
        ([3.0, 6.0], [(0, 3), (3, 6), (6, 10)]),
        ([3.0, 9.0], [(0, 3), (3, 10)]),  # a 1 s tail joins the clip before it
        ([12.0], [(0, 10)]),  # cuts outside the range are ignored
    ],
)
def test_clips_from_cuts(cuts: list[float], clips: list[tuple[float, float]]) -> None:
    assert shots.clips_from_cuts(0.0, 10.0, cuts, 2.0) == clips


def test_real_cuts_are_found_on_the_right_frame(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", width=480, height=360, duration=9.0, fps=10)
    assert shots.plan_dynamic(video, 0.0, 9.0, 2.0) == [(0, 3), (3, 6), (6, 9)]
    assert shots.plan_dynamic(video, 1.0, 9.0, 2.0) == [(1, 3), (3, 6), (6, 9)]
    # 3 s is too early for a 4 s minimum; the cut at 6 s would leave a 3 s tail, which joins
    assert shots.plan_dynamic(video, 0.0, 9.0, 4.0) == [(0, 9)]
