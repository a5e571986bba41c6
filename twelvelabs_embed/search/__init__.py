"""Search what you embedded: an exact cosine index over results files, near-duplicate
videos and clip pairs, window-level matching, and a self-contained HTML report.

Works on the SDK alone (NumPy); thumbnails and frame-level window matching use PyAV
(the ``local`` extra) when it is installed.
"""

from __future__ import annotations

from .index import Filters, Hit, SearchIndex
from .report import render_hits, render_similar, write_report
from .similar import ClipPair, SimilarReport, VideoMatch, find_similar
from .window import FrameTrack, WindowMatch, align_clips, context_scores, locate, refine_hits

__all__ = [
    "ClipPair",
    "Filters",
    "FrameTrack",
    "Hit",
    "SearchIndex",
    "SimilarReport",
    "VideoMatch",
    "WindowMatch",
    "align_clips",
    "context_scores",
    "find_similar",
    "locate",
    "refine_hits",
    "render_hits",
    "render_similar",
    "write_report",
]
