"""The search index over results files the real engine wrote (Parquet, JSONL, npz)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.search.conftest import Library
from twelvelabs_embed.errors import IncompatibleEmbeddingsError
from twelvelabs_embed.models import EmbeddingMatrix
from twelvelabs_embed.results import read_results, write_columns
from twelvelabs_embed.search import Filters, SearchIndex


@pytest.mark.parametrize("fmt", ["results", "jsonl", "npz"])
def test_every_format_loads_the_same_index(library: Library, fmt: str) -> None:
    index = SearchIndex.from_results(getattr(library, fmt))
    reference = SearchIndex.from_results(library.results)
    assert len(index) == len(reference) > 0
    assert index.model_name == "marengo3.0" and index.dimension == 512
    np.testing.assert_allclose(index.vectors, reference.vectors, atol=1e-6)
    assert index.sources() == reference.sources()
    np.testing.assert_allclose(np.linalg.norm(index.vectors, axis=1), 1.0, rtol=1e-5)


def test_a_clip_finds_itself_and_its_cropped_copy(library: Library) -> None:
    index = SearchIndex.from_results(library.results)
    a = str(library.videos["a"])
    row = index.row_at(a, 7.5, option="visual")
    assert index.columns["start_offset_sec"][row] == 6.0
    hits = index.search(index.vectors[row], k=3, filters=Filters(option="visual", scope="clip"))
    assert hits[0].row == row and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[1].source == str(library.videos["a_crop"])
    assert (hits[1].start_offset_sec, hits[1].end_offset_sec) == (6.0, 9.0)
    assert hits[0].score >= hits[1].score >= hits[2].score


def test_filters_restrict_option_scope_and_source(library: Library) -> None:
    index = SearchIndex.from_results(library.npz)
    q = index.vectors[0]
    b = str(library.videos["b"])
    for hit in index.search(q, k=50, filters=Filters(option="audio", source=b)):
        assert (hit.embedding_option, hit.source) == ("audio", b)
    video_rows = index.search(q, k=50, filters=Filters(scope="video", option="visual"))
    assert len(video_rows) == len(library.videos)  # one video-scope row per video
    assert index.search(q, k=5, filters=Filters(source="nowhere.mp4")) == []


def test_search_many_matches_search(library: Library) -> None:
    index = SearchIndex.from_results(library.results)
    queries = index.vectors[:4]
    many = index.search_many(queries, k=5)
    one_by_one = [index.search(q, k=5) for q in queries]
    assert [[h.row for h in hits] for hits in many] == [
        [h.row for h in hits] for hits in one_by_one
    ]
    scores = [[h.score for h in hits] for hits in many]
    np.testing.assert_allclose(scores, [[h.score for h in hits] for hits in one_by_one], atol=1e-5)


def test_exact_ranking_matches_a_full_sort() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3000, 64)).astype(np.float32)
    matrix = EmbeddingMatrix(
        vectors, np.arange(3000.0), np.arange(3000.0) + 1, ("visual",) * 3000, ("clip",) * 3000
    )
    index = SearchIndex.from_matrices([("v.mp4", matrix)], model_name="m")
    q = rng.standard_normal(64)
    expected = np.argsort(-(index.vectors @ (q / np.linalg.norm(q))), kind="stable")[:25]
    assert [h.row for h in index.search(q, k=25)] == expected.tolist()


def _with_model(library: Library, path: Path, model_name: str) -> Path:
    """The library's results relabelled as another model's (a file of the wrong model)."""
    loaded = read_results(library.results)
    arrays = {"vectors": loaded.vectors, **{k: np.asarray(v) for k, v in loaded.metadata.items()}}
    arrays["model_name"] = np.asarray([model_name] * len(loaded))
    write_columns(path, arrays)
    return path


def test_mixed_models_are_refused(library: Library, tmp_path: Path) -> None:
    other = _with_model(library, tmp_path / "other.npz", "Marengo-retrieval-2.7")
    with pytest.raises(IncompatibleEmbeddingsError, match="mix models"):
        SearchIndex.from_results([library.results, other])


def test_mixed_dimensions_are_refused(library: Library, tmp_path: Path) -> None:
    loaded = read_results(library.results)
    arrays = {"vectors": loaded.vectors[:, :256], **{k: np.asarray(v) for k, v in loaded.metadata.items()}}  # fmt: skip
    other = tmp_path / "short.parquet"
    write_columns(other, arrays)
    with pytest.raises(IncompatibleEmbeddingsError, match="different dimensions"):
        SearchIndex.from_results([library.results, other])
    index = SearchIndex.from_results(library.results)
    with pytest.raises(IncompatibleEmbeddingsError, match="256 dimensions"):
        index.search(np.ones(256))


def test_ragged_jsonl_and_garbage_get_clear_errors(library: Library, tmp_path: Path) -> None:
    lines = library.jsonl.read_bytes().splitlines()
    ragged = tmp_path / "ragged.jsonl"
    ragged.write_bytes(
        lines[0] + b"\n" + lines[1].replace(b'"vector":[', b'"vector":[0.5,') + b"\n"
    )
    with pytest.raises(IncompatibleEmbeddingsError, match="different dimensions"):
        SearchIndex.from_results(ragged)
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b'{"hello": 1}\n')
    with pytest.raises(ValueError, match="not a results file"):
        SearchIndex.from_results(junk)
    with pytest.raises(FileNotFoundError, match="no such results file"):
        SearchIndex.from_results(tmp_path / "missing.parquet")


@pytest.mark.parametrize("allowed", ["visual", "few"])
def test_filtered_ranking_matches_a_full_sort(allowed: str) -> None:
    """Both filter paths (mask most rows' scores; gather a few rows) rank exactly."""
    rng = np.random.default_rng(1)
    n = 4000
    options = tuple("visual" if i % 2 else "audio" for i in range(n))
    matrix = EmbeddingMatrix(
        rng.standard_normal((n, 32)).astype(np.float32), np.zeros(n), np.ones(n), options,
        ("clip",) * n,
    )  # fmt: skip
    index = SearchIndex.from_matrices([("v.mp4", matrix)], model_name="m")
    keep = np.asarray(options) == "visual"
    if allowed == "few":
        keep &= np.arange(n) < 600
        filters = Filters(option="visual", source="v.mp4")
        index.columns["source"][600:] = "other.mp4"
    else:
        filters = Filters(option="visual")
    q = rng.standard_normal(32)
    scores = index.vectors @ (q / np.linalg.norm(q))
    scores[~keep] = -np.inf
    expected = np.argsort(-scores, kind="stable")[:30]
    assert [h.row for h in index.search(q, k=30, filters=filters)] == expected.tolist()
    assert len(index.search(q, k=10_000, filters=filters)) == int(keep.sum())
