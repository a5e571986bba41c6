"""Embedding rows on disk: JSONL (one line per segment), ``.npz`` (one float32 matrix)
and Parquet (a ``vector`` column of fixed-size float32 lists; needs the ``parquet``
extra, pyarrow).

Every row carries its provenance: source, task id, model, embedding option and scope,
start and end offsets. :func:`read_results` gives back one matrix plus those columns
whatever the format, so a notebook loads a job's output in one call.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs
import numpy as np
import numpy.typing as npt
import orjson

from .types import TasksRetrieveResponse

FORMATS = (".jsonl", ".npz", ".parquet")
COLUMNS = ("source", "task_id", "model_name", "embedding_option", "embedding_scope")
OFFSETS = ("start_offset_sec", "end_offset_sec")


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
    """Refuse an unknown extension, an existing non-file, or a folder where a file cannot
    actually be created (``/proc``, read-only mounts) before any work starts."""
    out = Path(path)
    if out.suffix.lower() not in FORMATS:
        raise ValueError(
            f"--out must end in {' or '.join(FORMATS)}, not {out.suffix or 'nothing'!r}"
        )
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"folder {folder} does not exist")
    if out.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, not an output file", str(out))
    if out.exists() and not out.is_file():
        raise ValueError(f"--out {out} exists and is not a regular file")
    probe = folder / f".{out.name}.{os.getpid()}.probe"
    try:  # the only sure test: create a file there, as the final write will
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise PermissionError(
            exc.errno, f"cannot create files in folder {folder} for --out", str(out)
        ) from None
    if out.suffix.lower() == ".parquet":
        _pyarrow()
    return out


def _pyarrow() -> Any:
    try:
        import pyarrow  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.parquet  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise ValueError(
            "Parquet output needs pyarrow: pip install 'twelvelabs-embed[parquet]'"
        ) from exc
    return pyarrow


class ResultWriter:
    """Appends rows as tasks finish (JSONL is flushed per task; ``.npz`` and ``.parquet``
    are written on close)."""

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
        elif self.path.suffix.lower() in (".npz", ".parquet"):
            write_columns(self.path, columns_from_rows(self._rows))

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def columns_from_rows(rows: list[EmbeddingRow]) -> dict[str, Any]:
    """Rows as columns: a float32 ``vectors`` matrix plus one array per metadata column."""
    dims = {len(r.vector) for r in rows}
    if len(dims) > 1:
        raise ValueError(
            f"rows have vectors of different lengths {sorted(dims)}; write JSONL instead"
        )
    dim = dims.pop() if dims else 0
    arrays: dict[str, Any] = {
        "vectors": np.asarray([r.vector for r in rows], dtype=np.float32).reshape(len(rows), dim)
    }
    for column in OFFSETS:
        arrays[column] = np.asarray([getattr(r, column) for r in rows], dtype=np.float64)
    for column in COLUMNS:
        arrays[column] = np.asarray([getattr(r, column) for r in rows], dtype=np.str_)
    return arrays


def write_npz(path: Path, rows: list[EmbeddingRow]) -> None:
    write_columns(path, columns_from_rows(rows))


def write_columns(path: Path, arrays: dict[str, Any], *, durable: bool = False) -> None:
    """Write ``vectors`` + metadata columns as ``.jsonl``, ``.npz`` or ``.parquet``, whole
    and atomically (a temporary file renamed over ``path``; fsynced when ``durable``).

    Raises:
        OSError: naming ``path`` (never the temporary file) and the OS's reason.
    """
    suffix = path.suffix.lower()
    tmp = path.with_name(f".{path.name}.tmp{suffix}")
    try:
        _write_then_replace(path, tmp, suffix, arrays, durable)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror or exc}") from exc


def _write_then_replace(
    path: Path, tmp: Path, suffix: str, arrays: dict[str, Any], durable: bool
) -> None:
    if suffix == ".npz":
        np.savez(tmp, **arrays)
    elif suffix == ".parquet":
        _write_parquet(tmp, arrays)
    elif suffix == ".jsonl":
        with open(tmp, "wb") as f:
            for row in iter_rows(arrays):
                f.write(row.to_json() + b"\n")
    else:
        raise ValueError(f"unknown results format {suffix!r}")
    if durable:
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    os.replace(tmp, path)


def iter_rows(arrays: dict[str, Any]) -> Iterator[EmbeddingRow]:
    vectors = arrays["vectors"]
    meta = {c: np.asarray(arrays[c]).tolist() for c in (*COLUMNS, *OFFSETS)}
    for i in range(vectors.shape[0]):
        yield EmbeddingRow(**{c: meta[c][i] for c in (*COLUMNS, *OFFSETS)}, vector=vectors[i])


def _write_parquet(path: Path, arrays: dict[str, Any]) -> None:
    pa = _pyarrow()
    vectors = np.ascontiguousarray(arrays["vectors"], dtype=np.float32)
    dim = vectors.shape[1]
    columns = {c: pa.array(np.asarray(arrays[c]).tolist(), pa.string()) for c in COLUMNS}
    for c in OFFSETS:
        columns[c] = pa.array(np.asarray(arrays[c], dtype=np.float64))
    columns["vector"] = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), dim)
    pa.parquet.write_table(pa.table(columns), path)


@attrs.frozen
class LoadedResults:
    """A whole output file: ``vectors[i]`` goes with ``metadata[column][i]``."""

    vectors: npt.NDArray[np.float32] = attrs.field(eq=False)
    metadata: dict[str, list[Any]] = attrs.field(eq=False)

    def __len__(self) -> int:
        return int(self.vectors.shape[0])


def read_results(path: str | os.PathLike[str]) -> LoadedResults:
    """Load a ``.jsonl``, ``.npz`` or ``.parquet`` file written by this package."""
    p = Path(path)
    columns = (*COLUMNS, *OFFSETS)
    suffix = p.suffix.lower()
    if suffix == ".npz":
        with np.load(p) as data:
            meta = {c: data[c].tolist() for c in columns}
            return LoadedResults(data["vectors"].astype(np.float32, copy=False), meta)
    if suffix == ".parquet":
        table = _pyarrow().parquet.read_table(p)
        vec = table.column("vector").combine_chunks()
        dim = vec.type.list_size
        flat = vec.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
        meta = {c: table.column(c).to_pylist() for c in columns}
        return LoadedResults(flat.reshape(table.num_rows, dim), meta)
    rows = [orjson.loads(line) for line in p.read_bytes().splitlines() if line.strip()]
    vectors = [r["vector"] for r in rows]
    dim = len(vectors[0]) if vectors else 0
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(rows), dim)
    return LoadedResults(matrix, {c: [r[c] for r in rows] for c in columns})
