"""Finding the right window, not just the right video.

Clip vectors find the right video well, but inside one long shot the neighbouring
windows look alike, so under a crop or a trim the cosine often prefers a neighbour.
Two finer comparisons fix that:

- :func:`context_scores` (vectors only): a pair of clips is scored together with its
  neighbours along the same time offset (a diagonal of the clip-by-clip cosine matrix),
  the way a copy keeps its order. Used for ``similar`` clip pairs.
- :func:`locate` (needs both files and PyAV): frame descriptors every ``step`` seconds
  of the query window are slid over the candidate video's frames, and the offset whose
  frames agree best in order wins. A trim moves the window by a fraction of a clip, which
  this finds to within ``step``; a crop changes every frame alike and so does not move the
  best offset. Used for ``search --like``, re-ranking the candidate's clips by how much
  they overlap the located window.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import attrs
import numpy as np

from .index import Hit, SearchIndex, unit_rows

__all__ = ["WindowMatch", "context_scores", "frame_track", "locate", "refine_hits"]

CONTEXT_WEIGHTS = (0.25, 0.5, 0.25)
"""Weights of the previous pair, the pair itself and the next pair on the diagonal."""


def context_scores(sims: np.ndarray) -> np.ndarray:
    """Diagonal-smoothed cosines: ``sims[i, j]`` mixed with ``sims[i-1, j-1]`` and
    ``sims[i+1, j+1]`` (weights renormalised where a neighbour falls off the edge)."""
    sims = np.asarray(sims, dtype=np.float64)
    total = np.zeros_like(sims)
    weight = np.zeros_like(sims)
    n, m = sims.shape
    for d, w in zip((-1, 0, 1), CONTEXT_WEIGHTS, strict=True):
        i0, i1 = max(0, -d), min(n, n - d)
        j0, j1 = max(0, -d), min(m, m - d)
        if i1 <= i0 or j1 <= j0:
            continue
        total[i0:i1, j0:j1] += w * sims[i0 + d : i1 + d, j0 + d : j1 + d]
        weight[i0:i1, j0:j1] += w
    out: np.ndarray = total / np.maximum(weight, 1e-12)
    return out


@attrs.frozen
class WindowMatch:
    """Where the query window sits in the candidate: ``start``..``end`` seconds,
    ``score`` the mean frame cosine there, ``clip`` the index of the candidate clip that
    overlaps it most."""

    start: float
    end: float
    score: float
    clip: int


def frame_track(
    path: str | os.PathLike[str], times: Sequence[float], *, size: int = 96
) -> np.ndarray:
    """Unit-length weight-free descriptors of single frames at ``times`` (N, D) float32.

    Raises:
        ProbeFailed: the file cannot be decoded (from the engine's frame reader).
        ImportError: PyAV is not installed (the ``local`` extra).
    """
    from ..local.media.descriptor import visual_descriptor
    from ..local.media.frames import read_frames

    step = float(np.min(np.diff(times))) if len(times) > 1 else 0.5
    frames = read_frames(path, list(times), size=size, tolerance=min(0.25, step / 2))
    return unit_rows([visual_descriptor(img[None]) for img in frames.images])


def locate(
    query: str | os.PathLike[str],
    query_range: tuple[float, float],
    candidate: str | os.PathLike[str],
    candidate_clips: Sequence[tuple[float, float]],
    *,
    step: float = 0.5,
    search_range: tuple[float, float] | None = None,
) -> WindowMatch:
    """Slide the query window's frames over the candidate's to find the same moment.

    Args:
        query_range: start and end (seconds) of the window in ``query``.
        candidate_clips: the candidate's clip ranges, to name the best-overlapping one.
        step: frame spacing in seconds on both sides.
        search_range: part of the candidate to scan (default: all its clips).
    """
    q0, q1 = query_range
    k = max(1, round((q1 - q0) / step))
    q_times = [q0 + (i + 0.5) * step for i in range(k)]
    lo, hi = search_range or (candidate_clips[0][0], candidate_clips[-1][1])
    lo = max(lo, candidate_clips[0][0])
    hi = min(hi, candidate_clips[-1][1])
    n = max(1, int(np.floor((hi - lo) / step)))
    c_times = [lo + (i + 0.5) * step for i in range(n)]
    qf = frame_track(query, q_times)
    cf = frame_track(candidate, c_times)
    sims = qf @ cf.T  # (k, n)
    best, best_score = 0, -np.inf
    for offset in range(max(1, n - k + 1)):
        width = min(k, n - offset)
        score = float(np.mean(sims[np.arange(width), offset + np.arange(width)]))
        if score > best_score:
            best, best_score = offset, score
    start = lo + best * step
    end = start + (q1 - q0)
    overlaps = [min(end, e) - max(start, s) for s, e in candidate_clips]
    return WindowMatch(start, end, best_score, int(np.argmax(overlaps)))


def refine_hits(
    index: SearchIndex,
    vector: np.ndarray,
    hits: Sequence[Hit],
    query: str | os.PathLike[str],
    query_range: tuple[float, float],
    *,
    videos: int = 1,
    step: float = 0.5,
) -> list[Hit]:
    """Re-rank the clips of the first ``videos`` candidate videos by :func:`locate`
    (default: the top hit's video only: the one the query most likely copies).

    ``vector`` is the query's embedding (for the cosine of a clip that was not a hit),
    ``query``/``query_range`` its file and window.

    For each such video whose file is reachable, its best hit is replaced by its clip that
    overlaps the located window most (with that clip's own cosine), and the video's other
    hits follow. Only the part of the candidate around its hits (one clip either side) is
    decoded. Unreachable files and undecodable media keep the vector ranking.
    """
    out = list(hits)
    for source in list(dict.fromkeys(h.source for h in hits))[:videos]:
        if "://" in source or not os.path.isfile(source):
            continue
        mine = [h for h in out if h.source == source]
        rows = index.rows_of(source, mine[0].embedding_option, mine[0].embedding_scope)
        start, end = index.columns["start_offset_sec"], index.columns["end_offset_sec"]
        clips = [(float(start[r]), float(end[r])) for r in rows]
        length = max(e - s for s, e in clips)
        lo = min(h.start_offset_sec for h in mine) - length
        hi = max(h.end_offset_sec for h in mine) + length
        try:
            match = locate(query, query_range, source, clips, step=step, search_range=(lo, hi))
        except Exception:  # a file that does not decode keeps the vector ranking
            continue
        row = int(rows[match.clip])
        best = next((h for h in mine if h.row == row), None)
        if best is None:
            best = index.hit(row, float(index.scores(vector)[row]))
        first = out.index(mine[0])
        out = [h for h in out if h.row != row]
        out.insert(min(first, len(out)), best)
    return out[: len(hits)]
