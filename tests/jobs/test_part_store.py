"""The part store's merge: the same output whether a part comes from this run's memory or
from its file on disk (a part from an earlier run, or past the memory budget)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twelvelabs_embed.jobs.output import PartStore
from twelvelabs_embed.results import read_results
from twelvelabs_embed.types import EmbeddingMatrix


def matrix(seed: int, rows: int) -> EmbeddingMatrix:
    rng = np.random.default_rng(seed)
    return EmbeddingMatrix(
        vectors=rng.standard_normal((rows, 8)).astype(np.float32),
        start_offset_sec=np.arange(rows, dtype=np.float64) * 6,
        end_offset_sec=np.arange(1, rows + 1, dtype=np.float64) * 6,
        embedding_option=("visual",) * rows,
        embedding_scope=("clip",) * rows,
    )


kept: dict[int, int] = {}


def merged(tmp: Path, keep_bytes: int, fresh: bool) -> dict[str, np.ndarray]:
    out = tmp / f"out-{keep_bytes}-{fresh}.npz"
    store = PartStore(out, keep_bytes=keep_bytes)
    done = []
    for i in range(5):
        store.write(f"task{i}", f"old/v{i}.mp4", "marengo3.0", matrix(i, 2 + i))
        done.append((f"task{i}", f"v{i}.mp4"))
    kept[keep_bytes] = len(store._kept)
    if fresh:  # a later run: nothing in memory, every part read from its file
        store = PartStore(out, keep_bytes=keep_bytes)
    assert store.merge(done) == sum(2 + i for i in range(5))
    loaded = read_results(out)
    return {"vectors": loaded.vectors, **{k: np.asarray(v) for k, v in loaded.metadata.items()}}


def test_merge_from_memory_equals_merge_from_disk(tmp_path: Path) -> None:
    from_disk = merged(tmp_path, 0, fresh=True)
    for keep in (0, 2500, 1 << 20):  # none, some, all parts kept in memory
        got = merged(tmp_path, keep, fresh=False)
        assert got.keys() == from_disk.keys()
        for key, value in from_disk.items():
            np.testing.assert_array_equal(got[key], value)
    assert kept[0] == 0 and 0 < kept[2500] < 5 and kept[1 << 20] == 5
    assert list(from_disk["source"][:2]) == ["v0.mp4", "v0.mp4"]  # the caller's spelling


def test_cleanup_takes_the_parts_away_at_once_and_a_leftover_is_swept(tmp_path: Path) -> None:
    import threading

    store = PartStore(tmp_path / "out.npz")
    store.write("task0", "v0.mp4", "marengo3.0", matrix(0, 3))
    store.cleanup()
    assert not store.dir.exists()  # renamed away before cleanup returns
    for t in threading.enumerate():
        if t.name == "tl-parts-cleanup":
            t.join(30)
    assert [p.name for p in tmp_path.iterdir()] == []
    # a directory a killed process left half-deleted goes with the next store beside it
    left = tmp_path / ".out.npz.parts.removing-1-2"
    (left / "x").mkdir(parents=True)
    PartStore(tmp_path / "out.npz")
    assert not left.exists()
