"""``twelvelabs-embed embed``: a bulk job (``tasks.iter_embed_many``) with a progress line.

The job does the work: uploads under a concurrency bound, one poll loop, a shared rate
gate, results saved as each task ends and, with ``--journal``, resumable after a crash
or Ctrl-C. This module only renders: one overall bar (done/total, counts per state,
video-minutes per minute, ETA), a table at the end, and one line per failure with the
platform's error code. The exit status says whether every input succeeded.
"""

from __future__ import annotations

import argparse
from contextlib import aclosing
from typing import cast

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..client import AsyncTwelveLabs
from ..jobs.identity import expand_inputs
from ..results import check_output_path
from ..types import EmbeddingOption, EmbeddingScope, ItemResult, JobProgress
from .connect import connect
from .exit_codes import EXIT_FAILED, EXIT_OK
from .render import failure_line, job_summary_json, job_summary_table, print_json, say

STATE_ORDER = ("pending", "uploading", "processing", "ready", "retrieved", "failed")


def progress_text(p: JobProgress) -> str:
    """``3 processing, 10 retrieved, 1 failed | 4.2 video-min/min | ETA 1m20s``."""
    if p.checking:
        return f"checking {p.checking} tasks from the journal"
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


async def run_embed(args: argparse.Namespace, *, console: Console, stdout: Console) -> int:
    """Check the output path, connect, embed every input; 0 when all succeeded, 1 otherwise."""
    if args.out:
        check_output_path(args.out)
    if not expand_inputs(args.inputs):
        say(console, "error: no video files found in the given inputs")
        return EXIT_FAILED
    async with connect(args, console) as client:
        return await embed_inputs(client, args, console=console, stdout=stdout)


async def embed_inputs(
    client: AsyncTwelveLabs, args: argparse.Namespace, *, console: Console, stdout: Console
) -> int:
    """Run the bulk job with a progress line, then print the summary and the failures."""
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
        if p.checking:  # may last seconds before the next update: show it now
            progress.refresh()

    outcomes: list[ItemResult] = []
    tasks = client.embed.v_2.tasks if args.api == "v2" else client.embed.tasks
    items = tasks.iter_embed_many(
        args.inputs,
        model_name=args.model,
        journal=args.journal,
        out=args.out,
        concurrency=args.concurrency,
        poll_interval=args.poll_interval,
        video_clip_length=args.clip_length,
        video_embedding_scope=cast("list[EmbeddingScope] | None", args.scope),
        video_start_offset_sec=args.start,
        video_end_offset_sec=args.end,
        embedding_option=cast("list[EmbeddingOption] | None", args.option),
        timeout=args.timeout,
        retry_failed=args.retry_failed,
        on_progress=on_progress,
    )
    with progress:
        async with aclosing(items):
            async for item in items:
                outcomes.append(item)
                if not item.ok:  # one line per failure, as it happens, above the bar
                    say(progress.console, failure_line(item))
    outcomes.sort(key=lambda o: o.index)
    if args.json:
        print_json(stdout, job_summary_json(outcomes, args.model))
    else:
        stdout.print(job_summary_table(outcomes, args.model))
    failed = [o for o in outcomes if not o.ok]
    resumed = sum(o.resumed for o in outcomes)
    if resumed:
        say(console, f"{resumed} input(s) already finished in the journal")
    if args.out:
        rows = sum(o.segments for o in outcomes if o.ok)
        say(console, f"wrote {rows} rows to {args.out}")
    return EXIT_FAILED if failed else EXIT_OK
