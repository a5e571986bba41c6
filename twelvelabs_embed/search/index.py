"""An exact cosine index over embedding rows, built from results files or matrices.

Rows keep their provenance (source, task id, option, scope, start and end), so a hit
says where in which video it is. Vectors are stored L2-normalised as one float32 matrix;
a query is one matrix-vector product plus a partial sort, exact by construction.
``benchmarks/bench_search_latency.py`` measures it at 10k, 100k and 1M rows of 512-d.

One index holds one model at one dimension: vectors of two models live in unrelated
spaces, so mixing them (or querying with a vector of another length) raises
:class:`~twelvelabs_embed.errors.IncompatibleEmbeddingsError` instead of ranking noise.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import IncompatibleEmbeddingsError
from ..results import COLUMNS, OFFSETS, LoadedResults, read_results
from ..types import EmbeddingMatrix

__all__ = ["Filters", "Hit", "SearchIndex", "unit_rows"]

Matrix = npt.NDArray[np.float32]
PathLike = str | os.PathLike[str]


@attrs.frozen
class Hit:
    """One ranked row: where it is and how close (cosine, -1..1)."""

    source: str
    start_offset_sec: float
    end_offset_sec: float
    embedding_option: str
    embedding_scope: str
    score: float
    row: int
    task_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _as_set(value: str | Collection[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset([value] if isinstance(value, str) else value)


@attrs.frozen
class Filters:
    """Which rows a search may return; ``None`` allows everything, a string or a
    collection of strings allows those values only (exact match)."""

    option: frozenset[str] | None = attrs.field(default=None, converter=_as_set)
    scope: frozenset[str] | None = attrs.field(default=None, converter=_as_set)
    source: frozenset[str] | None = attrs.field(default=None, converter=_as_set)


def unit_rows(x: npt.ArrayLike) -> Matrix:
    """Rows scaled to unit length (an all-zero row stays zero)."""
    m = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    out: Matrix = m / np.maximum(norms, 1e-12)
    return out


class SearchIndex:
    """Embedding rows of one model and dimension, searchable by cosine similarity.

    Build with :meth:`from_results` (files ``embed`` wrote) or :meth:`from_matrices`
    (``EmbeddingMatrix`` objects, e.g. ``retrieve(...).to_numpy()``).
    """

    def __init__(
        self, vectors: npt.ArrayLike, metadata: Mapping[str, Sequence[Any]], *, origin: str = ""
    ) -> None:
        """Raises IncompatibleEmbeddingsError for mixed models or a ragged matrix."""
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2:
            raise IncompatibleEmbeddingsError(
                f"expected a 2-D matrix of vectors, got {matrix.ndim}-D"
            )
        models = sorted({str(m) for m in metadata["model_name"]})
        if len(models) > 1:
            raise IncompatibleEmbeddingsError(
                f"{origin or 'these rows'} mix models {', '.join(models)}: vectors of different "
                "models cannot be compared; search one model at a time"
            )
        self.model_name = models[0] if models else ""
        self.dimension = int(matrix.shape[1])
        self.vectors = unit_rows(matrix)
        self.columns: dict[str, npt.NDArray[Any]] = {
            c: np.asarray(metadata[c], dtype=np.str_) for c in COLUMNS
        }
        for c in OFFSETS:
            self.columns[c] = np.asarray(metadata[c], dtype=np.float64)
        for c, values in self.columns.items():
            if len(values) != len(self):
                raise ValueError(f"column {c} has {len(values)} values for {len(self)} vectors")

    # --- building ------------------------------------------------------------------------

    @classmethod
    def from_loaded(cls, loaded: Iterable[tuple[str, LoadedResults]]) -> SearchIndex:
        """Concatenate loaded results files (name, content), refusing mixed dimensions."""
        parts = list(loaded)
        dims = {name: int(r.vectors.shape[1]) for name, r in parts if len(r)}
        if len(set(dims.values())) > 1:
            shown = ", ".join(f"{n} has {d}" for n, d in dims.items())
            raise IncompatibleEmbeddingsError(
                f"vectors of different dimensions cannot be compared: {shown}"
            )
        dim = next(iter(dims.values()), 0)
        vectors = np.concatenate(
            [r.vectors.reshape(-1, dim) for _, r in parts] or [np.zeros((0, dim), np.float32)]
        )
        meta = {c: [v for _, r in parts for v in r.metadata[c]] for c in (*COLUMNS, *OFFSETS)}
        origin = " and ".join(name for name, _ in parts) or "no files"
        return cls(vectors, meta, origin=origin)

    @classmethod
    def from_results(cls, paths: PathLike | Sequence[PathLike]) -> SearchIndex:
        """Load one or more ``.jsonl`` / ``.npz`` / ``.parquet`` files ``embed`` wrote.

        Raises:
            FileNotFoundError: a file is missing.
            IncompatibleEmbeddingsError: models or dimensions differ between or within files.
            ValueError: a file is not a results file.
        """
        items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
        loaded = []
        for p in items:
            path = Path(p)
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no such results file")
            try:
                loaded.append((path.name, read_results(path)))
            except (KeyError, ValueError) as exc:
                raise _unreadable(path, exc) from exc
        return cls.from_loaded(loaded)

    @classmethod
    def from_matrices(
        cls, items: Iterable[tuple[str, EmbeddingMatrix]], *, model_name: str
    ) -> SearchIndex:
        """Index ``(source, matrix)`` pairs that all come from ``model_name``."""
        loaded = []
        for source, m in items:
            n = len(m)
            meta: dict[str, list[Any]] = {
                "source": [source] * n,
                "task_id": [""] * n,
                "model_name": [model_name] * n,
                "embedding_option": list(m.embedding_option),
                "embedding_scope": list(m.embedding_scope),
                "start_offset_sec": m.start_offset_sec.tolist(),
                "end_offset_sec": m.end_offset_sec.tolist(),
            }
            loaded.append((source, LoadedResults(m.vectors.astype(np.float32), meta)))
        return cls.from_loaded(loaded)

    # --- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def sources(self) -> list[str]:
        """Distinct sources in first-seen order."""
        return list(dict.fromkeys(self.columns["source"].tolist()))

    def options(self) -> list[str]:
        return list(dict.fromkeys(self.columns["embedding_option"].tolist()))

    def mask(self, filters: Filters | None) -> npt.NDArray[np.bool_]:
        """Rows allowed by ``filters`` as a boolean array."""
        keep = np.ones(len(self), dtype=bool)
        if filters is None:
            return keep
        for column, allowed in (
            ("embedding_option", filters.option),
            ("embedding_scope", filters.scope),
            ("source", filters.source),
        ):
            if allowed is not None:
                keep &= np.isin(self.columns[column], np.asarray(sorted(allowed), np.str_))
        return keep

    def hit(self, row: int, score: float) -> Hit:
        c = self.columns
        return Hit(
            source=str(c["source"][row]),
            start_offset_sec=float(c["start_offset_sec"][row]),
            end_offset_sec=float(c["end_offset_sec"][row]),
            embedding_option=str(c["embedding_option"][row]),
            embedding_scope=str(c["embedding_scope"][row]),
            score=float(score),
            row=int(row),
            task_id=str(c["task_id"][row]),
        )

    def rows_of(self, source: str, option: str, scope: str = "clip") -> npt.NDArray[np.intp]:
        """Row numbers of one source's rows of ``option``/``scope``, in time order."""
        rows = np.flatnonzero(self.mask(Filters(option=option, scope=scope, source=source)))
        order = np.argsort(self.columns["start_offset_sec"][rows], kind="stable")
        out: npt.NDArray[np.intp] = rows[order]
        return out

    def row_at(self, source: str, seconds: float, *, option: str, scope: str = "clip") -> int:
        """The row of ``source`` whose time range holds ``seconds`` (the nearest if none).

        Raises:
            KeyError: the index has no such source/option/scope.
        """
        rows = np.flatnonzero(self.mask(Filters(option=option, scope=scope, source=source)))
        if rows.size == 0:
            raise KeyError(f"no {scope} rows of option {option!r} for source {source!r}")
        start = self.columns["start_offset_sec"][rows]
        end = self.columns["end_offset_sec"][rows]
        inside = (start <= seconds) & (seconds < end)
        if inside.any():
            return int(rows[np.flatnonzero(inside)[0]])
        gap = np.minimum(np.abs(start - seconds), np.abs(end - seconds))
        return int(rows[int(np.argmin(gap))])

    # --- searching -----------------------------------------------------------------------

    def check_query(self, vector: npt.ArrayLike) -> Matrix:
        q = np.asarray(vector, dtype=np.float32)
        if q.ndim == 1:
            q = q[None, :]
        if q.ndim != 2 or q.shape[1] != self.dimension:
            raise IncompatibleEmbeddingsError(
                f"the query has {q.shape[-1]} dimensions but the index holds {self.dimension}-d "
                f"vectors of {self.model_name or 'an unnamed model'}: embed the query with the "
                "same model"
            )
        return unit_rows(q)

    def scores(self, vector: npt.ArrayLike, filters: Filters | None = None) -> Matrix:
        """Cosine of the query with every row (rows outside ``filters`` get -inf)."""
        q = self.check_query(vector)[0]
        out: Matrix = self.vectors @ q
        if filters is not None:
            out[~self.mask(filters)] = -np.inf
        return out

    def search(
        self, vector: npt.ArrayLike, k: int = 10, filters: Filters | None = None
    ) -> list[Hit]:
        """The ``k`` rows closest to ``vector`` by cosine, best first (ties by row order).

        Raises:
            IncompatibleEmbeddingsError: the query's length is not the index's dimension.
        """
        return self.search_many(vector, k, filters)[0]

    def search_many(
        self, queries: npt.ArrayLike, k: int = 10, filters: Filters | None = None
    ) -> list[list[Hit]]:
        """:meth:`search` for each row of ``queries`` in one matrix product."""
        q = self.check_query(queries)
        keep = self.mask(filters) if filters is not None else None
        allowed = np.flatnonzero(keep) if keep is not None else None
        if allowed is None or allowed.size == len(self):
            rows, scores = None, q @ self.vectors.T
        elif allowed.size * 4 < len(self):  # few rows: gather them, score only those
            rows, scores = allowed, q @ self.vectors[allowed].T
        else:  # most rows: score all (no 1 GB gather per query at 1M rows), mask the rest
            rows, scores = None, q @ self.vectors.T
            scores[:, ~keep] = -np.inf  # type: ignore[operator]
        k = max(0, min(k, scores.shape[1] if rows is None else rows.size))
        if rows is None and allowed is not None:
            k = min(k, allowed.size)
        if k == 0:
            return [[] for _ in range(q.shape[0])]
        out = []
        for s in scores:
            top = np.argpartition(-s, k - 1)[:k] if k < s.size else np.arange(s.size)
            top = top[np.lexsort((top, -s[top]))]
            found = top if rows is None else rows[top]
            out.append([self.hit(int(r), float(s[t])) for r, t in zip(found, top, strict=True)])
        return out


def _unreadable(path: Path, exc: Exception) -> Exception:
    if "different lengths" in str(exc) or "inhomogeneous" in str(exc):
        return IncompatibleEmbeddingsError(
            f"{path} holds vectors of different dimensions; split it by model first"
        )
    return ValueError(f"{path} is not a results file written by embed ({exc})")
