"""How results look: one-line messages, tables, and (later) JSON and HTML.

Commands build data and hand it here; nothing else in the CLI formats output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from ..jobs.models import ItemResult
    from ..models import MediaEmbeddingTask
    from ..results import EmbeddingRow


def say(console: Console, text: str) -> None:
    """Print one line as written: no markup, no highlighting, never wrapped."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def segment_table(title: str, rows: Sequence[EmbeddingRow]) -> Table:
    """One row per segment: option, scope, offsets, dimension and the first values."""
    table = Table(title=f"task {title}: {len(rows)} segments")
    for column in ("option", "scope", "start", "end", "dim", "first values"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r.embedding_option,
            r.embedding_scope,
            f"{r.start_offset_sec:.2f}",
            f"{r.end_offset_sec:.2f}",
            str(len(r.vector)),
            " ".join(f"{x:+.3f}" for x in r.vector[:4]),
        )
    return table


def similarity_table(labels: Sequence[str], vectors: npt.NDArray[np.float32]) -> Table:
    """Cosine similarity of every vector with every other, labelled on both axes."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = unit @ unit.T
    table = Table()
    table.add_column("")
    for label in labels:
        table.add_column(label, justify="right")
    for label, row in zip(labels, sims, strict=True):
        table.add_row(label, *(f"{x:.2f}" for x in row))
    return table


def job_summary_table(outcomes: Sequence[ItemResult], model_name: str) -> Table:
    """One row per input of a bulk job: its task, status, segments and dimension."""
    table = Table(title=f"{len(outcomes)} video(s), model {model_name}")
    for column in ("source", "task id", "status", "segments", "dim"):
        table.add_column(column)
    for o in outcomes:
        status = "ready" if o.ok else f"failed: {o.error_message}"
        table.add_row(o.source, o.task_id or "-", status, str(o.segments), str(o.dimension))
    return table


def task_table(tasks: Sequence[MediaEmbeddingTask]) -> Table:
    """One row per task: id, status, model, creation time."""
    table = Table(title="tasks, newest first")
    for column in ("task id", "status", "model", "created"):
        table.add_column(column)
    for task in tasks:
        created = task.created_at.isoformat() if task.created_at else "-"
        table.add_row(task.id or "-", task.status or "-", task.model_name or "-", created)
    return table
