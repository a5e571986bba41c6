"""How results look: one-line messages, tables for people, JSON for scripts.

Commands build data and hand it here; nothing else in the CLI formats output. When
stdout is not a terminal, tables are never cut to 80 columns (task ids and paths stay
whole), and ``--json`` prints one JSON document instead of a table.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import orjson
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from ..results import EmbeddingRow
    from ..search import Hit, SimilarReport
    from ..types import ItemResult, MediaEmbeddingTask, TasksStatusResponse

UNLIMITED_WIDTH = 100_000
"""Width for a console that is not a terminal: a table takes its content's width."""


def make_console(*, stderr: bool) -> Console:
    """A console that wraps at the terminal's width, or never when output is redirected."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else UNLIMITED_WIDTH
    return Console(stderr=stderr, highlight=False, width=width)


def say(console: Console, text: str) -> None:
    """Print one line as written: no markup, no highlighting, never wrapped."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def print_json(console: Console, data: Any) -> None:
    """One JSON document on its own lines (numpy floats included)."""
    text = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    console.out(text, highlight=False)


def task_source(task: MediaEmbeddingTask | TasksStatusResponse) -> str | None:
    """The file name or URL a task was made from, as the server remembers it."""
    meta = task.video_embedding.metadata if task.video_embedding else None
    if meta is None:
        return None
    return meta.input_url or meta.input_filename


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


def segment_json(task_id: str, rows: Sequence[EmbeddingRow]) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "segments": [
            {
                "source": r.source,
                "model_name": r.model_name,
                "embedding_option": r.embedding_option,
                "embedding_scope": r.embedding_scope,
                "start_offset_sec": r.start_offset_sec,
                "end_offset_sec": r.end_offset_sec,
                "vector": r.vector,
            }
            for r in rows
        ],
    }


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


def failure_line(o: ItemResult) -> str:
    """``error: clip.mp4: video_duration_too_short: The video is too short ...``."""
    return f"error: {o.source}: {o.error_code}: {o.error_message}"


def job_summary_table(outcomes: Sequence[ItemResult], model_name: str) -> Table:
    """One row per input of a bulk job; a failure shows its code (its line came earlier)."""
    table = Table(title=f"{len(outcomes)} video(s), model {model_name}")
    for column in ("source", "task id", "status", "segments", "dim"):
        table.add_column(column)
    for o in outcomes:
        status = "ready" if o.ok else f"failed ({o.error_code})"
        table.add_row(o.source, o.task_id or "-", status, str(o.segments), str(o.dimension))
    return table


def job_summary_json(outcomes: Sequence[ItemResult], model_name: str) -> list[dict[str, Any]]:
    return [
        {
            "source": o.source,
            "task_id": o.task_id,
            "model_name": model_name,
            "state": o.state,
            "segments": o.segments,
            "dimension": o.dimension,
            "duration": o.duration,
            "error_code": o.error_code,
            "error_message": o.error_message,
            "retryable": o.retryable,
            "resumed": o.resumed,
        }
        for o in outcomes
    ]


def task_table(tasks: Sequence[MediaEmbeddingTask]) -> Table:
    """One row per task: id, status, source, model, creation time."""
    table = Table(title="tasks, newest first")
    for column in ("task id", "status", "source", "model", "created"):
        table.add_column(column)
    for task in tasks:
        created = task.created_at.isoformat() if task.created_at else "-"
        table.add_row(
            task.id or "-",
            task.status or "-",
            task_source(task) or "-",
            task.model_name or "-",
            created,
        )
    return table


def task_json(task: MediaEmbeddingTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "status": task.status,
        "source": task_source(task),
        "model_name": task.model_name,
        "created_at": task.created_at.isoformat() if task.created_at else None,
    }


def status_json(st: TasksStatusResponse) -> dict[str, Any]:
    meta = st.video_embedding.metadata if st.video_embedding else None
    return {
        "id": st.id,
        "status": st.status,
        "model_name": st.model_name,
        "source": task_source(st),
        "duration": meta.duration if meta else None,
        "error": {"code": st.error.code, "message": st.error.message} if st.error else None,
    }


def hits_table(title: str, hits: Sequence[Hit]) -> Table:
    """One row per search hit: rank, source, start-end, option, scope, score."""
    table = Table(title=title)
    for column in ("#", "source", "start", "end", "option", "scope", "score"):
        table.add_column(column, justify="right" if column in ("#", "score") else "left")
    for rank, h in enumerate(hits, 1):
        table.add_row(
            str(rank),
            h.source,
            f"{h.start_offset_sec:.2f}",
            f"{h.end_offset_sec:.2f}",
            h.embedding_option,
            h.embedding_scope,
            f"{h.score:.4f}",
        )
    return table


def video_matches_table(report: SimilarReport) -> Table:
    """One row per pair of videos with matching clips: coverage of each, duplicate or not."""
    table = Table(title=f"{len(report.groups)} near-duplicate group(s)")
    for column in ("group", "video a", "video b", "a covered", "b covered", "score", "verdict"):
        table.add_column(column)
    group_of = {s: str(i) for i, g in enumerate(report.groups, 1) for s in g}
    for m in report.matches:
        table.add_row(
            group_of.get(m.source_a, "-") if m.duplicate else "-",
            m.source_a,
            m.source_b,
            f"{m.coverage_a:.0%}",
            f"{m.coverage_b:.0%}",
            f"{m.score:.3f}",
            "duplicate" if m.duplicate else "partial",
        )
    return table


def clip_pairs_table(report: SimilarReport) -> Table:
    """One row per matching clip pair: both sources and time ranges, and the cosine."""
    pairs = report.clip_pairs
    table = Table(title=f"{len(pairs)} matching clip pair(s) at cosine >= {report.threshold:g}")
    for column in ("video a", "a start", "a end", "video b", "b start", "b end", "score"):
        table.add_column(column)
    for p in pairs:
        table.add_row(
            p.source_a, f"{p.start_a:.2f}", f"{p.end_a:.2f}",
            p.source_b, f"{p.start_b:.2f}", f"{p.end_b:.2f}", f"{p.score:.4f}",
        )  # fmt: skip
    return table
