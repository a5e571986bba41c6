"""Shot boundaries for ``dynamic`` segmentation: a content detector over sampled frames.

Modelled on PySceneDetect's ``ContentDetector`` (what users of "scene detection" expect):
frames are compared in HSV, the score is the mean absolute change of hue, saturation and
value (0-255 scale, hue in OpenCV's 0-179), and a cut is placed where the score reaches
the threshold (27, PySceneDetect's default) but never closer than the minimum clip length
to the previous cut. Frames are sampled at :data:`SAMPLE_FPS` and tiny, so a 10-minute
video costs one pass of decoding small frames. A final piece shorter than the minimum is
merged into the clip before it, so every clip is at least ``min_duration_sec`` long
(unless the whole range is shorter).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from .frames import read_frames

SAMPLE_FPS = 4.0
FRAME_SIDE = 48
THRESHOLD = 27.0


def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 RGB -> float32 HSV as OpenCV scales it (H 0-179, S and V 0-255)."""
    x = rgb.astype(np.float32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = x.max(axis=-1)
    span = v - x.min(axis=-1)
    s = np.where(v > 0, span / np.maximum(v, 1e-6) * 255.0, 0.0)
    safe = np.maximum(span, 1e-6)
    h = np.where(
        v == r,
        (g - b) / safe,
        np.where(v == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe),
    )
    h = np.where(span > 0, (h * 30.0) % 180.0, 0.0)
    out: np.ndarray = np.stack([h, s, v], axis=-1).astype(np.float32)
    return out


def content_scores(frames: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 frames -> (N,) change from the previous frame (first is 0)."""
    hsv = rgb_to_hsv(frames)
    out = np.zeros(len(frames), np.float32)
    if len(frames) > 1:
        out[1:] = np.abs(np.diff(hsv, axis=0)).mean(axis=(1, 2, 3))
    return out


def cut_times(
    times: Sequence[float],
    scores: Sequence[float],
    min_len: float,
    start: float,
    threshold: float = THRESHOLD,
) -> list[float]:
    """Times where a new shot starts. ``scores[i]`` is the change between samples ``i-1``
    and ``i``, so the cut is dated at sample ``i`` (the first frame of the new shot, as
    PySceneDetect dates it); a cut needs a score at or over ``threshold`` and at least
    ``min_len`` seconds after ``start`` and after the last cut."""
    cuts: list[float] = []
    last = start
    for i in range(1, len(times)):
        t = times[i]
        if scores[i] >= threshold and t - last >= min_len - 1e-9:
            cuts.append(float(t))
            last = t
    return cuts


def clips_from_cuts(
    lo: float, hi: float, cuts: Sequence[float], min_len: float
) -> list[tuple[float, float]]:
    """Clips between ``lo``, the cuts and ``hi``; a tail shorter than ``min_len`` joins the
    clip before it."""
    edges = [lo, *(c for c in cuts if lo < c < hi), hi]
    clips = [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]
    if len(clips) > 1 and clips[-1][1] - clips[-1][0] < min_len - 1e-9:
        clips[-2:] = [(clips[-2][0], clips[-1][1])]
    return [(round(a, 6), round(b, 6)) for a, b in clips]


def plan_dynamic(
    path: str | os.PathLike[str], lo: float, hi: float, min_len: float
) -> list[tuple[float, float]]:
    """Shot-based clips of the range ``lo``..``hi`` (seconds) of the video at ``path``.

    Raises:
        ProbeFailed: the video cannot be decoded.
    """
    if hi <= lo:
        return []
    n = max(2, int((hi - lo) * SAMPLE_FPS))
    targets = [lo + (i + 0.5) * (hi - lo) / n for i in range(n)]
    frames = read_frames(path, targets, size=FRAME_SIDE, tolerance=0.5 / SAMPLE_FPS)
    scores = content_scores(frames.images)
    # the decoder may hand back a nearby keyframe: date cuts by the frames' own times
    cuts = cut_times(frames.times.tolist(), scores.tolist(), min_len, lo)
    return clips_from_cuts(lo, hi, cuts, min_len)
