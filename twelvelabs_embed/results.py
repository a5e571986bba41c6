"""Embedding rows on disk: JSONL (one line per segment) and ``.npz`` (one float32 matrix).

Every row carries its provenance: source, task id, model, embedding option and scope,
start and end offsets. :func:`read_results` gives back one matrix plus those columns
whatever the format, so a notebook loads a job's output in one call.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs
import numpy as np
import numpy.typing as npt
import orjson

from .models import TasksRetrieveResponse

FORMATS = (".jsonl", ".npz")
COLUMNS = ("source", "task_id", "model_name", "embedding_option", "embedding_scope")


@attrs.frozen
class EmbeddingRow:
    source: str
    task_id: str
    model_name: str
    embedding_option: str
    embedding_scope: str
    start_offset_sec: float
    end_offset_sec: float
    vector: list[float] = attrs.field(eq=False, repr=False)

    def to_json(self) -> bytes:
        return orjson.dumps(attrs.asdict(self), option=orjson.OPT_SERIALIZE_NUMPY)


def rows_from_result(source: str, result: TasksRetrieveResponse) -> Iterator[EmbeddingRow]:
    for seg in result.segments:
        yield EmbeddingRow(
            source=source,
            task_id=result.id or "",
            model_name=result.model_name or "",
            embedding_option=seg.embedding_option or "",
            embedding_scope=seg.embedding_scope or "",
            start_offset_sec=float(seg.start_offset_sec or 0.0),
            end_offset_sec=float(seg.end_offset_sec or 0.0),
            vector=seg.float_ or [],
        )


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Refuse an unknown extension or an unwritable folder before any work starts."""
    out = Path(path)
    if out.suffix.lower() not in FORMATS:
        raise ValueError(
            f"--out must end in {' or '.join(FORMATS)}, not {out.suffix or 'nothing'!r}"
        )
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"folder {folder} is not writable")
    return out


class ResultWriter:
    """Appends rows as tasks finish (JSONL is flushed per task; ``.npz`` is written on close)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = check_output_path(path)
        self.count = 0
        self._rows: list[EmbeddingRow] = []
        self._file: IO[bytes] | None = None
        if self.path.suffix.lower() == ".jsonl":
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()

    def write(self, rows: Iterable[EmbeddingRow]) -> None:
        batch = list(rows)
        self.count += len(batch)
        if self._file is not None:
            self._file.write(b"".join(r.to_json() + b"\n" for r in batch))
            self._file.flush()
        else:
            self._rows.extend(batch)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        elif self.path.suffix.lower() == ".npz":
            write_npz(self.path, self._rows)

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_npz(path: Path, rows: list[EmbeddingRow]) -> None:
    dims = {len(r.vector) for r in rows}
    if len(dims) > 1:
        raise ValueError(
            f"rows have vectors of different lengths {sorted(dims)}; write JSONL instead"
        )
    dim = dims.pop() if dims else 0
    arrays: dict[str, Any] = {
        "vectors": np.asarray([r.vector for r in rows], dtype=np.float32).reshape(len(rows), dim),
        "start_offset_sec": np.asarray([r.start_offset_sec for r in rows], dtype=np.float64),
        "end_offset_sec": np.asarray([r.end_offset_sec for r in rows], dtype=np.float64),
    }
    for column in COLUMNS:
        arrays[column] = np.asarray([getattr(r, column) for r in rows], dtype=np.str_)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


@attrs.frozen
class LoadedResults:
    """A whole output file: ``vectors[i]`` goes with ``metadata[column][i]``."""

    vectors: npt.NDArray[np.float32] = attrs.field(eq=False)
    metadata: dict[str, list[Any]] = attrs.field(eq=False)

    def __len__(self) -> int:
        return int(self.vectors.shape[0])


def read_results(path: str | os.PathLike[str]) -> LoadedResults:
    """Load a ``.jsonl`` or ``.npz`` written by this package."""
    p = Path(path)
    columns = (*COLUMNS, "start_offset_sec", "end_offset_sec")
    if p.suffix.lower() == ".npz":
        with np.load(p) as data:
            meta = {c: data[c].tolist() for c in columns}
            return LoadedResults(data["vectors"].astype(np.float32, copy=False), meta)
    rows = [orjson.loads(line) for line in p.read_bytes().splitlines() if line.strip()]
    vectors = [r["vector"] for r in rows]
    dim = len(vectors[0]) if vectors else 0
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(rows), dim)
    return LoadedResults(matrix, {c: [r[c] for r in rows] for c in columns})
