"""What ``twelvelabs-embed search`` and ``similar`` do, as functions of plain arguments.

The CLI parses, calls these and renders; notebooks can call them directly. A query that
needs embedding (text, an image, a video) is embedded by the caller and passed in as a
vector; ``--like SOURCE@SECONDS`` takes its vector from the index itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from .index import Filters, Hit, SearchIndex
from .similar import SimilarReport, find_similar, visual_option
from .window import refine_hits

__all__ = ["LikeQuery", "find_like", "parse_like", "run_similar", "search_like", "search_vector"]

_LIKE = re.compile(r"^(?P<source>.+)@(?P<seconds>\d+(?:\.\d*)?|\.\d+)$")


def parse_like(text: str) -> tuple[str, float]:
    """``"videos/a.mp4@12.5"`` -> ``("videos/a.mp4", 12.5)``.

    Raises:
        ValueError: no ``@SECONDS`` at the end.
    """
    m = _LIKE.match(text.strip())
    if m is None:
        raise ValueError(f"--like takes SOURCE@SECONDS (e.g. clip.mp4@12.5), not {text!r}")
    return m["source"], float(m["seconds"])


@attrs.frozen
class LikeQuery:
    """The index row a ``--like`` query stands for: its vector, source and time range."""

    row: int
    source: str
    start: float
    end: float
    vector: np.ndarray = attrs.field(eq=False, repr=False)


def _resolve_source(index: SearchIndex, given: str) -> str:
    """The index's spelling of ``given``: exact, else the same file, else a unique name."""
    sources = index.sources()
    if given in sources:
        return given
    real = os.path.realpath(given)
    same = [s for s in sources if "://" not in s and os.path.realpath(s) == real]
    if len(same) == 1:
        return same[0]
    named = [s for s in sources if os.path.basename(s) == os.path.basename(given)]
    if len(named) == 1:
        return named[0]
    hint = f" ({len(named)} sources are named so; give the path)" if named else ""
    raise ValueError(f"{given!r} is not a source in the results{hint}")


def find_like(
    index: SearchIndex, text: str, *, option: str | None = None, scope: str = "clip"
) -> LikeQuery:
    """The row of ``SOURCE@SECONDS`` (:func:`parse_like`) in the index.

    Raises:
        ValueError: bad syntax, unknown source, or no rows of that option/scope for it.
    """
    given, seconds = parse_like(text)
    source = _resolve_source(index, given)
    option = option or visual_option(index)
    try:
        row = index.row_at(source, seconds, option=option, scope=scope)
    except KeyError as exc:
        raise ValueError(str(exc.args[0])) from None
    start = float(index.columns["start_offset_sec"][row])
    end = float(index.columns["end_offset_sec"][row])
    return LikeQuery(row, source, start, end, index.vectors[row])


def search_vector(
    index: SearchIndex,
    vector: Any,
    *,
    top: int = 10,
    option: str | None = None,
    scope: str | None = "clip",
    sources: Sequence[str] | None = None,
) -> list[Hit]:
    """The ``top`` rows nearest ``vector`` among rows of ``option`` and ``scope``."""
    filters = Filters(option=option, scope=scope, source=sources)
    return index.search(vector, k=top, filters=filters)


def search_like(
    index: SearchIndex,
    like: LikeQuery,
    *,
    top: int = 10,
    option: str | None = None,
    scope: str = "clip",
    refine: bool = True,
) -> list[Hit]:
    """Rows like the query row (itself left out); with ``refine`` and the files on disk,
    the best candidate videos' clips are re-ranked by window location
    (:func:`.window.refine_hits`) so the hit points at the same moment."""
    option = option or str(index.columns["embedding_option"][like.row])
    hits = [
        h
        for h in search_vector(index, like.vector, top=top + 1, option=option, scope=scope)
        if h.row != like.row
    ][:top]
    if refine and scope == "clip" and os.path.isfile(like.source):
        hits = refine_hits(index, like.vector, hits, like.source, (like.start, like.end))
    return hits


def run_similar(
    index: SearchIndex,
    *,
    threshold: float = 0.9,
    min_coverage: float = 0.8,
    option: str | None = None,
    refine: bool = False,
) -> SimilarReport:
    """Near-duplicate groups and clip pairs (:func:`.similar.find_similar`; ``refine``
    locates the clip pairs by frames where the files are on disk).

    Raises:
        ValueError: threshold outside -1..1 or coverage outside (0, 1].
    """
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"--threshold is a cosine between -1 and 1, not {threshold}")
    return find_similar(
        index, threshold=threshold, min_coverage=min_coverage, option=option, refine=refine
    )
