"""Finding the right window, not just the right video.

Clip vectors find the right video well, but inside one long shot the neighbouring
windows look alike, so under a crop or a trim the cosine often prefers a neighbour.
Two finer comparisons fix that:

- :func:`context_scores` (vectors only): a pair of clips is scored together with its
  neighbours along the same time offset (a diagonal of the clip-by-clip cosine matrix),
  the way a copy keeps its order. Used for ``similar`` clip pairs.
- :func:`locate` (needs both files and PyAV): frame descriptors every ``step`` seconds
  of the query are slid over the candidate video's frames, and the time offset whose
  frames agree best in order wins; the query window moved by that offset is the match,
  and the candidate clip that overlaps it most is the answer. A trim moves the window by a
  fraction of a clip, which this finds to within ``step``. The offset is estimated from
  the query clip **and its neighbours** (``NEIGHBOURS`` clips either side, one offset for
  all): inside one shot a crop can make a later moment of a slow zoom look closer than
  the right one, and a single window has nothing to correct it, while a span of several
  clips usually holds a cut or a change of motion that pins the offset. Used for
  ``search --like`` (:func:`refine_hits`) and, when the files are on disk, for
  ``similar`` clip pairs (:func:`align_clips`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import attrs
import numpy as np

from .index import Hit, SearchIndex, unit_rows

__all__ = [
    "FrameTrack",
    "WindowMatch",
    "align_clips",
    "best_offset",
    "context_scores",
    "frame_track",
    "locate",
    "refine_hits",
]

CONTEXT_WEIGHTS = (0.25, 0.5, 0.25)
"""Weights of the previous pair, the pair itself and the next pair on the diagonal."""
NEIGHBOURS = 2
"""Clips of the query's own video either side of the query clip whose frames join in
finding the offset (0: the query window alone)."""
STEP_SEC = 0.5
"""Frame spacing of the tracks that are slid over each other."""


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
    ``score`` the mean frame cosine at that offset, ``clip`` the index of the candidate
    clip that overlaps it most."""

    start: float
    end: float
    score: float
    clip: int


@attrs.frozen
class FrameTrack:
    """Frame descriptors of one video every ``step`` seconds: ``times`` (N,) seconds,
    ``features`` (N, D) unit rows."""

    times: np.ndarray
    features: np.ndarray
    step: float

    @classmethod
    def read(
        cls, path: str | os.PathLike[str], start: float, end: float, *, step: float = STEP_SEC
    ) -> FrameTrack:
        """Frames at ``start + (i + 0.5) * step`` up to ``end`` (at least one).

        Raises:
            ProbeFailed: the file cannot be decoded.
        """
        n = max(1, int(np.floor((end - start) / step + 1e-9)))
        times = start + (np.arange(n) + 0.5) * step
        return cls(times, frame_track(path, times.tolist()), step)

    def between(self, start: float, end: float) -> FrameTrack:
        """The frames with ``start <= time < end``."""
        keep = (self.times >= start) & (self.times < end)
        return FrameTrack(self.times[keep], self.features[keep], self.step)


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


def best_offset(query: FrameTrack, candidate: FrameTrack) -> tuple[float, float]:
    """The time offset (seconds to add to a query time) at which the query's frames agree
    best, in order, with the candidate's, and that agreement (mean cosine).

    Offsets that overlap at least half of the query's frames are tried, so a query span
    running past the candidate's start or end (a trimmed copy) still aligns.
    """
    k, n = len(query.times), len(candidate.times)
    if k == 0 or n == 0:
        raise ValueError("an empty frame track")
    sims = query.features @ candidate.features.T  # (k, n)
    need = min((k + 1) // 2, n)
    best, best_score = 0, -np.inf
    for offset in range(need - k, n - need + 1):  # query frame j meets candidate j + offset
        score = float(np.mean(np.diagonal(sims, offset=offset)))
        if score > best_score:
            best, best_score = offset, score
    delta = float(candidate.times[0] - query.times[0]) + best * candidate.step
    return delta, best_score


def _match(
    query_range: tuple[float, float],
    delta: float,
    score: float,
    candidate_clips: Sequence[tuple[float, float]],
) -> WindowMatch:
    start, end = query_range[0] + delta, query_range[1] + delta
    overlaps = [min(end, e) - max(start, s) for s, e in candidate_clips]
    return WindowMatch(start, end, score, int(np.argmax(overlaps)))


def locate(
    query: str | os.PathLike[str],
    query_range: tuple[float, float],
    candidate: str | os.PathLike[str],
    candidate_clips: Sequence[tuple[float, float]],
    *,
    step: float = STEP_SEC,
    search_range: tuple[float, float] | None = None,
    query_span: tuple[float, float] | None = None,
) -> WindowMatch:
    """Slide the query's frames over the candidate's to find the same moment.

    Args:
        query_range: start and end (seconds) of the window in ``query``.
        candidate_clips: the candidate's clip ranges, to name the best-overlapping one.
        step: frame spacing in seconds on both sides.
        search_range: part of the candidate to scan (default: all its clips).
        query_span: the stretch of ``query`` whose frames find the offset (default:
            ``query_range``); it should hold ``query_range`` and lie inside the video.
    """
    span = query_span or query_range
    lo, hi = search_range or (candidate_clips[0][0], candidate_clips[-1][1])
    lo = max(lo, candidate_clips[0][0])
    hi = min(hi, candidate_clips[-1][1])
    q = FrameTrack.read(query, span[0], span[1], step=step)
    c = FrameTrack.read(candidate, lo, hi, step=step)
    delta, score = best_offset(q, c)
    return _match(query_range, delta, score, candidate_clips)


def _span(clips: Sequence[tuple[float, float]], i: int, neighbours: int) -> tuple[float, float]:
    """Clip ``i`` with ``neighbours`` clips either side (fewer at the ends)."""
    return clips[max(0, i - neighbours)][0], clips[min(len(clips) - 1, i + neighbours)][1]


def _nearest_clip(clips: Sequence[tuple[float, float]], window: tuple[float, float]) -> int:
    return int(np.argmax([min(window[1], e) - max(window[0], s) for s, e in clips]))


def refine_hits(
    index: SearchIndex,
    vector: np.ndarray,
    hits: Sequence[Hit],
    query: str | os.PathLike[str],
    query_range: tuple[float, float],
    *,
    videos: int = 1,
    step: float = STEP_SEC,
    neighbours: int = NEIGHBOURS,
    query_clips: Sequence[tuple[float, float]] | None = None,
) -> list[Hit]:
    """Re-rank the clips of the first ``videos`` candidate videos by :func:`locate`
    (default: the best hit's video only: the one the query most likely copies; the
    query's own video is never one, its neighbouring clips are simply alike).

    ``vector`` is the query's embedding (for the cosine of a clip that was not a hit),
    ``query``/``query_range`` its file and window. The offset is found from the query
    window and ``neighbours`` clips either side of it, taken from ``query_clips`` (the
    query video's clip ranges; default: its rows in the index of the hits' option, else
    the window alone).

    For each such video whose file is reachable, its best hit is replaced by its clip that
    overlaps the located window most (with that clip's own cosine), and the video's other
    hits follow. Only the part of the candidate around its hits is decoded. Unreachable
    files and undecodable media keep the vector ranking.
    """
    out = list(hits)
    if not hits:
        return out
    option, scope = hits[0].embedding_option, hits[0].embedding_scope
    if query_clips is None:
        rows = index.rows_of(str(query), option, scope)
        start, end = index.columns["start_offset_sec"], index.columns["end_offset_sec"]
        query_clips = [(float(start[r]), float(end[r])) for r in rows]
    span = query_range
    if query_clips and neighbours > 0:
        around = _span(query_clips, _nearest_clip(query_clips, query_range), neighbours)
        span = (min(around[0], query_range[0]), max(around[1], query_range[1]))
    others = [s for s in dict.fromkeys(h.source for h in hits) if s != os.fspath(query)]
    for source in others[:videos]:
        if "://" in source or not os.path.isfile(source):
            continue
        mine = [h for h in out if h.source == source]
        rows = index.rows_of(source, mine[0].embedding_option, mine[0].embedding_scope)
        start, end = index.columns["start_offset_sec"], index.columns["end_offset_sec"]
        clips = [(float(start[r]), float(end[r])) for r in rows]
        length = max(e - s for s, e in clips)
        lo = min(h.start_offset_sec for h in mine) - length - (query_range[0] - span[0])
        hi = max(h.end_offset_sec for h in mine) + length + (span[1] - query_range[1])
        try:
            match = locate(
                query, query_range, source, clips, step=step, search_range=(lo, hi), query_span=span
            )
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


def align_clips(
    clips_a: Sequence[tuple[float, float]],
    track_a: FrameTrack,
    clips_b: Sequence[tuple[float, float]],
    track_b: FrameTrack,
    guesses: Sequence[int],
    *,
    neighbours: int = NEIGHBOURS,
) -> list[int]:
    """For each clip ``i`` of video A, the clip of B at the same moment.

    ``guesses[i]`` is the B clip the vectors pick (or -1 to leave clip ``i`` alone, which
    then keeps -1); the offset is searched within one clip either side of it (plus the
    span's reach), from A's clip ``i`` and ``neighbours`` clips either side, over the two
    videos' frame tracks (same ``step``).
    """
    length = max(e - s for s, e in clips_b)
    out = []
    for i, guess in enumerate(guesses):
        if guess < 0:
            out.append(-1)
            continue
        span = _span(clips_a, i, neighbours)
        q = track_a.between(*span)
        reach_lo, reach_hi = clips_a[i][0] - span[0], span[1] - clips_a[i][1]
        lo = clips_b[guess][0] - length - reach_lo
        hi = clips_b[guess][1] + length + reach_hi
        c = track_b.between(lo, hi)
        if len(q.times) == 0 or len(c.times) == 0:
            out.append(guess)
            continue
        delta, _ = best_offset(q, c)
        out.append(_nearest_clip(clips_b, (clips_a[i][0] + delta, clips_a[i][1] + delta)))
    return out
