"""Claim: exact NumPy search answers a query over 1M x 512-d rows fast enough for the
command line, so no approximate index is needed below that.

For 10k, 100k and 1M random unit rows of 512 floats (float32; 1M is 2 GB):
- ``floor``: one ``matrix @ query`` plus ``argpartition`` for the top 10, the least any
  exact search must do;
- ``index``: ``SearchIndex.search(q, k=10)`` (the same plus building the hits);
- ``filtered``: the same with ``Filters(option="visual")`` over half the rows;
- ``batch``: ``search_many`` of 32 queries, per query;
- ``usearch`` (when installed): HNSW build time, per-query latency and recall@10 against
  the exact answer, to show what an approximate index would buy.
Medians over ``--repeats`` queries after a warm-up, each reported with its ratio to the
floor of the same size in the same run.

    python benchmarks/bench_search_latency.py [--sizes 10000 100000 1000000] [--repeats 20]

Writes ``benchmarks/results/search_latency.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from twelvelabs_embed.search import Filters, SearchIndex  # noqa: E402

DIM = 512
K = 10


def _index(n: int, rng: np.random.Generator) -> SearchIndex:
    vectors = np.empty((n, DIM), np.float32)
    for lo in range(0, n, 100_000):  # generate in slices: float64 1M x 512 would be 4 GB
        hi = min(n, lo + 100_000)
        vectors[lo:hi] = rng.standard_normal((hi - lo, DIM), dtype=np.float32)
    meta = {
        "source": np.repeat(np.arange(n // 100 + 1), 100)[:n].astype(str),
        "task_id": np.full(n, "t"),
        "model_name": np.full(n, "marengo3.0"),
        "embedding_option": np.where(np.arange(n) % 2 == 0, "visual", "audio"),
        "embedding_scope": np.full(n, "clip"),
        "start_offset_sec": np.arange(n) % 100 * 6.0,
        "end_offset_sec": np.arange(n) % 100 * 6.0 + 6.0,
    }
    return SearchIndex(vectors, meta)  # type: ignore[arg-type]


def _median_ms(fn: Callable[[np.ndarray], object], queries: np.ndarray) -> float:
    fn(queries[0])  # warm-up
    times = []
    for q in queries[1:]:
        t0 = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _floor(vectors: np.ndarray) -> Callable[[np.ndarray], object]:
    def run(q: np.ndarray) -> object:
        s = vectors @ q
        return np.argpartition(-s, K)[:K]

    return run


def _usearch(index: SearchIndex, queries: np.ndarray) -> dict[str, float] | None:
    if importlib.util.find_spec("usearch") is None:
        return None
    from usearch.index import Index  # type: ignore[import-not-found]

    t0 = time.perf_counter()
    u = Index(ndim=DIM, metric="cos", dtype="f32")
    u.add(np.arange(len(index)), index.vectors)
    build = time.perf_counter() - t0
    latency = _median_ms(lambda q: u.search(q, K), queries)
    exact = [set(np.argsort(-(index.vectors @ q))[:K].tolist()) for q in queries[1:]]
    found = [set(np.asarray(u.search(q, K).keys).tolist()) for q in queries[1:]]
    recall = statistics.mean(len(a & b) / K for a, b in zip(exact, found, strict=True))
    return {"build_sec": build, "query_ms": latency, "recall_at_10": recall}


def measure(
    n: int, rng: np.random.Generator, repeats: int, *, with_usearch: bool
) -> dict[str, object]:
    t0 = time.perf_counter()
    index = _index(n, rng)
    load = time.perf_counter() - t0
    queries = rng.standard_normal((repeats + 1, DIM)).astype(np.float32)
    floor = _median_ms(_floor(index.vectors), queries)
    plain = _median_ms(lambda q: index.search(q, K), queries)
    visual = Filters(option="visual")
    filtered = _median_ms(lambda q: index.search(q, K, visual), queries)
    t1 = time.perf_counter()
    index.search_many(queries[:32], K)
    batch = (time.perf_counter() - t1) * 1000 / 32
    return {
        "build_sec": load, "floor_ms": floor, "index_ms": plain, "filtered_ms": filtered,
        "batch_ms_per_query": batch, "index_over_floor": plain / floor,
        "filtered_over_floor": filtered / floor,
        "usearch": _usearch(index, queries) if with_usearch else None,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--usearch-max", type=int, default=1_000_000, help="largest usearch size")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    results: dict[str, dict[str, object]] = {}
    print(
        f"{'rows':>9s} {'floor ms':>9s} {'index ms':>9s} {'filtered':>9s} {'batch/q':>9s}   usearch"
    )
    for n in args.sizes:
        r = measure(n, rng, args.repeats, with_usearch=n <= args.usearch_max)
        results[str(n)] = r
        floor, plain, filtered, batch = (
            float(r[k])  # type: ignore[arg-type]
            for k in ("floor_ms", "index_ms", "filtered_ms", "batch_ms_per_query")
        )
        u: dict[str, float] | None = r["usearch"]  # type: ignore[assignment]
        us = (f"build {u['build_sec']:.1f} s, {u['query_ms']:.2f} ms/q ({u['query_ms'] / floor:.3f}x floor), "
              f"recall@10 {u['recall_at_10']:.3f}" if u else "-")  # fmt: skip
        print(f"{n:9d} {floor:9.2f} {plain:9.2f} {filtered:9.2f} {batch:9.2f}   {us}")
        print(
            f"{'':9s} index = {plain / floor:.2f}x floor, filtered = {filtered / floor:.2f}x floor"
        )
    out = ROOT / "benchmarks" / "results" / "search_latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"dim": DIM, "k": K, "sizes": results}, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
