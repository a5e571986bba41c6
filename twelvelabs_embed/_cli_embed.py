"""``twelvelabs-embed embed``: a bulk job (``tasks.iter_embed_many``) with a progress line.

The job does the work: uploads under a concurrency bound, one poll loop, a shared rate
gate, results saved as each task ends and, with ``--journal``, resumable after a crash
or Ctrl-C. This module only renders: one overall bar (done/total, counts per state,
video-minutes per minute, ETA), a table at the end, and one line per failure with the
platform's error code. The exit status says whether every input succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import aclosing
from typing import cast

import attrs
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .client import AsyncTwelveLabs
from .jobs.failures import describe_error
from .jobs.identity import VIDEO_SUFFIXES, expand_inputs, is_url
from .resources.embed_tasks import EmbeddingOption, EmbeddingScope
from .types import ItemResult, JobProgress

__all__ = ["VIDEO_SUFFIXES", "EmbedOptions", "describe_error", "expand_inputs", "is_url"]

STATE_ORDER = ("pending", "uploading", "processing", "ready", "retrieved", "failed")


@attrs.frozen
class EmbedOptions:
    model_name: str
    clip_length: float | None = None
    scopes: tuple[str, ...] | None = None
    options: tuple[str, ...] | None = None
    start: float | None = None
    end: float | None = None
    concurrency: int = 4
    poll_interval: float = 2.0
    timeout: float | None = None
    journal: str | None = None
    retry_failed: bool = False


def progress_text(p: JobProgress) -> str:
    """``3 processing, 10 retrieved, 1 failed | 4.2 video-min/min | ETA 1m20s``."""
    counts = ", ".join(f"{p.counts[s]} {s}" for s in STATE_ORDER if p.counts.get(s))
    parts = [counts or "starting"]
    if p.upload_bytes_total:
        mb = 1024 * 1024
        parts.append(f"uploading {p.upload_bytes_sent / mb:.1f}/{p.upload_bytes_total / mb:.1f} MB")
    rate = p.video_minutes_per_minute
    if rate is not None:
        parts.append(f"{rate:.1f} video-min/min")
    eta = p.eta_sec
    if eta is not None and p.done < p.total:
        parts.append(f"ETA {int(eta) // 60}m{int(eta) % 60:02d}s")
    if p.rate_limited:
        parts.append(f"{p.rate_limited}x rate-limited")
    return " | ".join(parts)


async def run_embed(
    client: AsyncTwelveLabs,
    inputs: Sequence[str],
    opts: EmbedOptions,
    *,
    out: str | None,
    console: Console,
    stdout: Console,
) -> int:
    """Embed every input; print a summary; 0 when all succeeded, 1 otherwise."""
    if not expand_inputs(inputs):
        console.print("error: no video files found in the given inputs")
        return 1
    progress = Progress(
        TextColumn("embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    )
    bar = progress.add_task("job", total=None, state="starting")

    def on_progress(p: JobProgress) -> None:
        progress.update(bar, total=p.total, completed=p.done, state=progress_text(p))

    outcomes: list[ItemResult] = []
    items = client.embed.tasks.iter_embed_many(
        inputs,
        model_name=opts.model_name,
        journal=opts.journal,
        out=out,
        concurrency=opts.concurrency,
        poll_interval=opts.poll_interval,
        video_clip_length=opts.clip_length,
        video_embedding_scope=cast("list[EmbeddingScope]", list(opts.scopes or ())) or None,
        video_start_offset_sec=opts.start,
        video_end_offset_sec=opts.end,
        embedding_option=cast("list[EmbeddingOption]", list(opts.options or ())) or None,
        timeout=opts.timeout,
        retry_failed=opts.retry_failed,
        on_progress=on_progress,
    )
    with progress:
        async with aclosing(items):
            async for item in items:
                outcomes.append(item)
    outcomes.sort(key=lambda o: o.index)
    _summary(outcomes, opts, stdout)
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        console.print(
            f"error: {o.source}: {o.error_message}", markup=False, highlight=False, soft_wrap=True
        )
    resumed = sum(o.resumed for o in outcomes)
    if resumed:
        console.print(f"{resumed} input(s) already finished in the journal", markup=False)
    if out:
        rows = sum(o.segments for o in outcomes if o.ok)
        console.print(f"wrote {rows} rows to {out}", markup=False)
    return 1 if failed else 0


def _summary(outcomes: Sequence[ItemResult], opts: EmbedOptions, stdout: Console) -> None:
    table = Table(title=f"{len(outcomes)} video(s), model {opts.model_name}")
    for column in ("source", "task id", "status", "segments", "dim"):
        table.add_column(column)
    for o in outcomes:
        status = "ready" if o.ok else f"failed: {o.error_message}"
        table.add_row(o.source, o.task_id or "-", status, str(o.segments), str(o.dimension))
    stdout.print(table)
