"""Window matching on real files: a trimmed copy's window is found at the right offset."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.search.conftest import FPS, SECONDS, H, Library, W
from tests.videos import frames, write_frames
from twelvelabs_embed.search import SearchIndex, locate
from twelvelabs_embed.search.commands import find_like, parse_like, search_like


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.mp4@12.5", ("a.mp4", 12.5)),
        ("dir/x@y.mp4@3", ("dir/x@y.mp4", 3.0)),
        ("b.mp4@.5", ("b.mp4", 0.5)),
    ],
)
def test_parse_like(text: str, expected: tuple[str, float]) -> None:
    assert parse_like(text) == expected


@pytest.mark.parametrize("text", ["a.mp4", "a.mp4@", "a.mp4@-1", "@3", "a.mp4@1e3"])
def test_parse_like_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="SOURCE@SECONDS"):
        parse_like(text)


def _trimmed(library: Library, seconds: float) -> Path:
    """``a.mp4`` without its first ``seconds`` (the same frames, re-encoded)."""
    src = frames(width=W, height=H, duration=SECONDS, fps=FPS, seed=1)
    return write_frames(
        library.folder / f"a_trim{seconds:g}.mp4",
        itertools.islice(src, round(seconds * FPS), None),
        fps=FPS,
    )


def test_locate_finds_a_trimmed_window(library: Library) -> None:
    copy = _trimmed(library, 1.0)
    clips = [(s, s + 3.0) for s in range(0, 24, 3)]
    match = locate(copy, (3.0, 6.0), library.videos["a"], clips)  # = 4.0-7.0 in a.mp4
    assert abs(match.start - 4.0) <= 0.5 and match.clip == 1  # [3, 6] overlaps it most
    assert match.score > 0.9
    other = locate(copy, (3.0, 6.0), library.videos["b"], clips)
    assert other.score < match.score - 0.1


def test_search_like_refines_to_the_located_clip(library: Library) -> None:
    index = SearchIndex.from_results(library.results)
    like = find_like(index, f"{library.videos['a_crop']}@4")
    hits = search_like(index, like, top=5)
    assert len(hits) == 5 and hits[0].source == str(library.videos["a"])
    assert (hits[0].start_offset_sec, hits[0].end_offset_sec) == (3.0, 6.0)
    assert like.row not in [h.row for h in hits]
