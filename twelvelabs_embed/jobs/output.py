"""A job's results on disk, exactly once across crashes.

Each finished task is written as its own part file, ``<out>.parts/<task id>.npz``
(float32 matrix plus provenance columns), to a temporary name, fsynced and renamed:
only after that does the journal mark the input ``retrieved``. The output file
(``.jsonl``, ``.npz`` or ``.parquet``) is then built from the parts of the inputs the
journal says are retrieved, in input order, so a part written just before a crash, and
not yet counted by the journal, never reaches it twice: it is overwritten when that task
is retrieved again. The parts directory is removed once every input has ended and the
output is written (when that final write fails, the parts stay and the error says where);
a later re-run takes rows back from the output file itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..results import COLUMNS, OFFSETS, check_output_path, read_results, write_columns
from ..types import EmbeddingMatrix

KEEP_BYTES = 256 * 2**20
"""Parts written by this run are also kept in memory up to this size, so the merge does
not read them back (reading 500 small ``.npz`` files took 1.5-2 s of a 10 s job)."""


class PartStore:
    """Part files beside ``out`` and the merge into ``out``."""

    def __init__(self, out: str | os.PathLike[str], *, keep_bytes: int = KEEP_BYTES) -> None:
        self.out = check_output_path(out)
        self.dir = self.out.with_name(self.out.name + ".parts")
        self._kept: dict[str, dict[str, Any]] = {}
        self._keep_left = keep_bytes
        self._lock = threading.Lock()
        self._sweep_leftovers()

    def _part(self, task_id: str) -> Path:
        return self.dir / f"{task_id}.npz"

    def has(self, task_id: str) -> bool:
        return self._part(task_id).exists()

    def write(self, task_id: str, source: str, model_name: str, matrix: EmbeddingMatrix) -> None:
        """Write one task's rows durably (blocking: run it in a thread)."""
        self.dir.mkdir(exist_ok=True)
        n = len(matrix)
        arrays: dict[str, Any] = {
            "vectors": matrix.vectors.astype(np.float32, copy=False),
            "start_offset_sec": matrix.start_offset_sec,
            "end_offset_sec": matrix.end_offset_sec,
            "source": np.asarray([source] * n, dtype=np.str_),
            "task_id": np.asarray([task_id] * n, dtype=np.str_),
            "model_name": np.asarray([model_name] * n, dtype=np.str_),
            "embedding_option": np.asarray(matrix.embedding_option, dtype=np.str_),
            "embedding_scope": np.asarray(matrix.embedding_scope, dtype=np.str_),
        }
        write_columns(self._part(task_id), arrays, durable=True)
        _fsync_dir(self.dir)
        size = sum(a.nbytes for a in arrays.values())
        with self._lock:  # parts are written from several threads at once
            if size <= self._keep_left:  # the file is durable; this copy only saves a read
                self._kept[task_id] = arrays
                self._keep_left -= size

    def recover(self, task_ids: set[str]) -> set[str]:
        """Give tasks without a part their rows back from an existing output file.

        Returns the task ids that still have no rows anywhere (to be retrieved again).
        """
        missing = {t for t in task_ids if not self.has(t)}
        if not missing or not self.out.exists():
            return missing
        try:
            loaded = read_results(self.out)
        except (OSError, ValueError, KeyError):
            return missing
        found = rows_by_task(loaded.metadata["task_id"], missing)
        for task_id, keep in sorted(found.items()):
            arrays: dict[str, Any] = {"vectors": loaded.vectors[keep]}
            for column in (*COLUMNS, *OFFSETS):
                arrays[column] = np.asarray(loaded.metadata[column])[keep]
            self.dir.mkdir(exist_ok=True)
            write_columns(self._part(task_id), arrays, durable=True)
            missing.discard(task_id)
        return missing

    def merge(self, done: Sequence[tuple[str, str]]) -> int:
        """Write ``out`` from the parts of ``done`` (task id, source) in that order.

        The source column takes the caller's current spelling. Returns the row count.
        """
        pieces: list[dict[str, Any]] = []
        for task_id, source in done:
            part = self._kept.get(task_id)
            if part is None:
                if not self.has(task_id):
                    continue
                with np.load(self._part(task_id)) as data:
                    part = {k: data[k] for k in data.files}
            part = dict(part)
            part["source"] = np.asarray([source] * len(part["task_id"]), dtype=np.str_)
            pieces.append(part)
        dims = {p["vectors"].shape[1] for p in pieces if len(p["vectors"])}
        if len(dims) > 1 and self.out.suffix.lower() != ".jsonl":
            raise ValueError(f"tasks have vectors of different lengths {sorted(dims)}; use .jsonl")
        dim = dims.pop() if dims else 0
        arrays: dict[str, Any] = {
            "vectors": np.concatenate(
                [p["vectors"].reshape(-1, dim) for p in pieces] or [np.zeros((0, dim))]
            ).astype(np.float32, copy=False)
        }
        for column in COLUMNS:
            arrays[column] = np.concatenate(
                [p[column].astype(np.str_) for p in pieces] or [np.zeros(0, np.str_)]
            )
        for column in OFFSETS:
            arrays[column] = np.concatenate(
                [p[column].astype(np.float64) for p in pieces] or [np.zeros(0)]
            )
        try:
            write_columns(self.out, arrays, durable=True)
        except OSError as exc:  # keep the parts: they are the results
            raise OSError(
                exc.errno,
                f"{exc.strerror}; every result is kept in {self.dir} (one .npz per task, "
                "read them with twelvelabs_embed.results.read_results, or run again with "
                "the same --journal and a writable --out)",
            ) from exc
        return int(arrays["vectors"].shape[0])

    def cleanup(self) -> None:
        """Take the parts directory away at once and delete it in a thread of its own.

        Deleting 500 fsynced part files took about 2 s here, which the job's caller
        would wait for. The rename is immediate; the thread is not a daemon, so the
        interpreter finishes the deletion before it exits, and a directory left by a
        killed process is removed the next time a job writes beside it.
        """
        if not self.dir.exists():
            return
        trash = self.dir.with_name(f".{self.dir.name}.removing-{os.getpid()}-{id(self)}")
        try:
            os.rename(self.dir, trash)
        except OSError:
            shutil.rmtree(self.dir, ignore_errors=True)
            return
        threading.Thread(target=shutil.rmtree, args=(trash, True), name="tl-parts-cleanup").start()

    def _sweep_leftovers(self) -> None:
        for old in self.dir.parent.glob(f".{self.dir.name}.removing-*"):
            shutil.rmtree(old, ignore_errors=True)


def rows_by_task(task_id_column: Any, wanted: Iterable[str]) -> dict[str, np.ndarray]:
    """Row numbers of each wanted task in an output file's ``task_id`` column, in file
    order; a task with no rows there is left out (it must be retrieved again)."""
    ids = np.asarray(task_id_column, dtype=np.str_)
    found = {task_id: np.flatnonzero(ids == task_id) for task_id in wanted}
    return {task_id: rows for task_id, rows in found.items() if rows.size}


def _fsync_dir(path: Path) -> None:
    """Make a rename durable (POSIX); harmless where directories cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
