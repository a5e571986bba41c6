"""Near-duplicate grouping on the real engine's vectors: a cropped copy is a duplicate, a
shared intro is not, and clip pairs point at the same moment."""

from __future__ import annotations

import numpy as np
import pytest

from tests.search.conftest import Library
from twelvelabs_embed.search import SearchIndex, context_scores, find_similar


def test_cropped_copy_is_grouped_and_shared_intro_is_not(library: Library) -> None:
    index = SearchIndex.from_results(library.results)
    report = find_similar(index, threshold=0.9)
    v = {k: str(p) for k, p in library.videos.items()}
    assert report.groups == (tuple(sorted((v["a"], v["a_crop"]))),)
    by_pair = {frozenset((m.source_a, m.source_b)): m for m in report.matches}
    dup = by_pair[frozenset((v["a"], v["a_crop"]))]
    assert dup.duplicate and dup.coverage_a == dup.coverage_b == 1.0
    # every clip pair of the copy points at the same moment of the original
    assert len(dup.clip_pairs) == 8
    assert all(p.start_a == p.start_b and p.end_a == p.end_b for p in dup.clip_pairs)
    # the shared intro matches (so the pair is listed) but covers a small part of each
    intro = by_pair[frozenset((v["c"], v["d"]))]
    assert not intro.duplicate
    assert 0 < intro.coverage_a <= 0.25 and 0 < intro.coverage_b <= 0.25
    assert {(p.start_a, p.start_b) for p in intro.clip_pairs} <= {(0.0, 0.0), (3.0, 3.0)}
    assert frozenset((v["a"], v["b"])) not in by_pair


def test_a_low_coverage_bar_groups_the_intro_pair(library: Library) -> None:
    """The coverage rule is what keeps the intro pair apart: lowering it groups them."""
    index = SearchIndex.from_results(library.results)
    report = find_similar(index, threshold=0.9, min_coverage=0.1)
    v = {k: str(p) for k, p in library.videos.items()}
    assert tuple(sorted((v["c"], v["d"]))) in report.groups


def test_report_as_json_data(library: Library) -> None:
    report = find_similar(SearchIndex.from_results(library.npz))
    data = report.to_dict()
    assert data["embedding_option"] == "visual" and data["threshold"] == 0.9
    assert {"source_a", "coverage_a", "duplicate", "clip_pairs"} <= set(data["matches"][0])
    with pytest.raises(ValueError, match="min_coverage"):
        find_similar(SearchIndex.from_results(library.npz), min_coverage=0)


def test_context_scores_prefer_the_aligned_diagonal() -> None:
    # clip 1 of A looks as much like clip 1 as clip 2 of B; its neighbours settle it
    sims = np.array([[0.95, 0.5, 0.2], [0.5, 0.9, 0.9], [0.2, 0.5, 0.95]])
    ranked = context_scores(sims)
    assert int(np.argmax(ranked[1])) == 1
    assert ranked[0, 0] == pytest.approx((0.5 * 0.95 + 0.25 * 0.9) / 0.75)
