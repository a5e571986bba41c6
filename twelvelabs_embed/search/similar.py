"""Near-duplicate videos and matching clip pairs, from the clip vectors of an index.

Two videos are duplicates when most of **both** of them match: a clip of A *matches* B
when some clip of B is at least ``threshold`` close (cosine), and A and B are duplicates
when at least ``min_coverage`` of A's clips match B **and** at least ``min_coverage`` of
B's clips match A. One strong pair is never enough, so a shared intro, a common logo
sting or a black slate (a few matching clips out of many) does not make two different
videos duplicates; those clips still appear as clip pairs. A copy cut down to part of
the original (a trim) covers all of itself but only part of the original: it is listed as
a video match with its two coverages, not grouped. Groups are the connected components
of the duplicate relation.

Clip pairs point at a moment: for each clip of A with a match, the clip of B with the best
position-aware score (:func:`.window.context_scores`: the pair's cosine together with its
neighbours' along the same time offset), among those above ``threshold``. With ``refine``
and both files on disk, that guess is then corrected by frames
(:func:`.window.align_clips`: the time offset that lines up A's clip and its neighbours
with B, to a fraction of a clip), which holds under a crop and a trim together; the
pair's score is then the located clip's own cosine. Each video is decoded once, at two
frames a second, and only videos with matches are.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from .index import Filters, SearchIndex
from .window import FrameTrack, align_clips, context_scores

__all__ = ["ClipPair", "SimilarReport", "VideoMatch", "find_similar", "visual_option"]

MAX_NEIGHBOURS = 64
"""Matches kept per clip: bounds memory when many clips look alike (black frames)."""
BLOCK_ROWS = 2048


@attrs.frozen
class ClipPair:
    source_a: str
    start_a: float
    end_a: float
    source_b: str
    start_b: float
    end_b: float
    score: float

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class VideoMatch:
    """Two videos with matching clips: the share of each one's clips that match."""

    source_a: str
    source_b: str
    coverage_a: float
    coverage_b: float
    score: float  # mean cosine of the matching clip pairs
    duplicate: bool
    clip_pairs: tuple[ClipPair, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class SimilarReport:
    threshold: float
    min_coverage: float
    option: str
    groups: tuple[tuple[str, ...], ...]
    matches: tuple[VideoMatch, ...]

    @property
    def clip_pairs(self) -> list[ClipPair]:
        return [p for m in self.matches for p in m.clip_pairs]

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "min_coverage": self.min_coverage,
            "embedding_option": self.option,
            "groups": [list(g) for g in self.groups],
            "matches": [m.to_dict() for m in self.matches],
        }


def visual_option(index: SearchIndex) -> str:
    """The option duplicates are judged on: the visual one when the index has it."""
    options = index.options()
    for name in ("visual", "visual-text"):
        if name in options:
            return name
    if not options:
        raise ValueError("the index is empty")
    return options[0]


def find_similar(
    index: SearchIndex,
    *,
    threshold: float = 0.9,
    min_coverage: float = 0.8,
    option: str | None = None,
    refine: bool = False,
) -> SimilarReport:
    """Group near-duplicate videos and list their matching clip pairs (see module doc).

    Args:
        threshold: cosine at or above which two clips match.
        min_coverage: share of each video's clips that must match the other video.
        option: embedding option to compare (default: :func:`visual_option`).
        refine: point clip pairs at the moment by frames when both files are on disk
            (decodes them; the groups and coverages do not change).

    Uses clip rows; an index with only video-scope rows compares those instead (coverage
    is then 1.0 or 0.0 per pair).
    """
    if not 0.0 < min_coverage <= 1.0:
        raise ValueError("min_coverage must be in (0, 1]")
    option = option or visual_option(index)
    scope = "clip" if index.mask(Filters(option=option, scope="clip")).any() else "video"
    rows = np.flatnonzero(index.mask(Filters(option=option, scope=scope)))
    sources = index.columns["source"][rows]
    names, owner = np.unique(sources, return_inverse=True)
    order = np.lexsort((index.columns["start_offset_sec"][rows], owner))
    rows, owner = rows[order], owner[order]
    pairs = _pairs_above(index.vectors[rows], owner, threshold)
    tracks = _Tracks(index) if refine else None
    matches = []
    for (a, b), (ia, ib) in sorted(pairs.items()):
        ra, rb = rows[owner == a], rows[owner == b]
        cov_a = len(set(ia.tolist())) / len(ra)
        cov_b = len(set(ib.tolist())) / len(rb)
        sims = index.vectors[ra] @ index.vectors[rb].T
        clip_pairs = _clip_pairs(index, ra, rb, sims, threshold, tracks)
        matches.append(
            VideoMatch(
                source_a=str(names[a]),
                source_b=str(names[b]),
                coverage_a=round(cov_a, 4),
                coverage_b=round(cov_b, 4),
                score=round(float(np.mean([p.score for p in clip_pairs])), 4),
                duplicate=min(cov_a, cov_b) >= min_coverage,
                clip_pairs=tuple(clip_pairs),
            )
        )
    groups = _components([(m.source_a, m.source_b) for m in matches if m.duplicate])
    return SimilarReport(threshold, min_coverage, option, groups, tuple(matches))


def _pairs_above(
    vectors: np.ndarray, owner: np.ndarray, threshold: float
) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """Clip index pairs (i in A, j in B, A < B) at or above ``threshold``, per video pair.

    Row blocks keep memory at BLOCK_ROWS x N floats whatever the index size.
    """
    found: dict[tuple[int, int], list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    n = vectors.shape[0]
    for lo in range(0, n, BLOCK_ROWS):
        hi = min(n, lo + BLOCK_ROWS)
        sims = vectors[lo:hi] @ vectors.T
        sims[owner[lo:hi, None] >= owner[None, :]] = -np.inf  # each video pair once, A < B
        if n > MAX_NEIGHBOURS:
            cut = np.partition(sims, n - MAX_NEIGHBOURS, axis=1)[:, n - MAX_NEIGHBOURS, None]
            sims[sims < cut] = -np.inf
        i, j = np.nonzero(sims >= threshold)
        i += lo
        for key in set(zip(owner[i].tolist(), owner[j].tolist(), strict=True)):
            sel = (owner[i] == key[0]) & (owner[j] == key[1])
            found[key].append((i[sel], j[sel]))
    return {
        k: (np.concatenate([a for a, _ in v]), np.concatenate([b for _, b in v]))
        for k, v in found.items()
    }


class _Tracks:
    """Frame tracks of whole videos, read once each (None: not a file, or undecodable)."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.read: dict[str, FrameTrack | None] = {}

    def clips(self, rows: np.ndarray) -> list[tuple[float, float]]:
        start, end = self.index.columns["start_offset_sec"], self.index.columns["end_offset_sec"]
        return [(float(start[r]), float(end[r])) for r in rows]

    def of(self, rows: np.ndarray) -> FrameTrack | None:
        source = str(self.index.columns["source"][rows[0]])
        if source not in self.read:
            track = None
            if "://" not in source and os.path.isfile(source):
                clips = self.clips(rows)
                try:
                    track = FrameTrack.read(source, clips[0][0], clips[-1][1])
                except Exception:  # an undecodable file keeps the vector pairs
                    track = None
            self.read[source] = track
        return self.read[source]


def _clip_pairs(
    index: SearchIndex,
    ra: np.ndarray,
    rb: np.ndarray,
    sims: np.ndarray,
    threshold: float,
    tracks: _Tracks | None,
) -> list[ClipPair]:
    """For each clip of A with a match in B, the best B clip by the position-aware score,
    located by frames when ``tracks`` can read both videos."""
    ranked = context_scores(sims)
    ranked[sims < threshold] = -np.inf
    matched = np.isfinite(ranked).any(axis=1)
    picks = np.where(matched, np.argmax(ranked, axis=1), -1)
    track_a = tracks.of(ra) if tracks is not None else None
    track_b = tracks.of(rb) if tracks is not None and track_a is not None else None
    if tracks is not None and track_a is not None and track_b is not None:
        located = align_clips(tracks.clips(ra), track_a, tracks.clips(rb), track_b, picks.tolist())
        picks = np.asarray(located)
    out = []
    start, end = index.columns["start_offset_sec"], index.columns["end_offset_sec"]
    source = index.columns["source"]
    for i in np.flatnonzero(matched):
        j = int(picks[i])
        a, b = int(ra[i]), int(rb[j])
        out.append(
            ClipPair(
                source_a=str(source[a]),
                start_a=float(start[a]),
                end_a=float(end[a]),
                source_b=str(source[b]),
                start_b=float(start[b]),
                end_b=float(end[b]),
                score=round(float(sims[i, j]), 4),
            )
        )
    return out


def _components(edges: Sequence[tuple[str, str]]) -> tuple[tuple[str, ...], ...]:
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for x in list(parent):
        groups[root(x)].append(x)
    return tuple(sorted(tuple(sorted(g)) for g in groups.values()))
