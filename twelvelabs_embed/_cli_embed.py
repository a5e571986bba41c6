"""``twelvelabs-embed embed``: create, wait, retrieve and write, for many videos at once.

One coroutine per input under a concurrency bound; each reports to a shared rich
progress display (upload bytes, then processing state). A failure is one line with the
platform's error code and never stops the others; the exit status says if all succeeded.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import attrs
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .client import AsyncTwelveLabs
from .errors import ApiError, TwelveLabsError
from .models import TasksStatusResponse
from .resources.embed_tasks import EmbeddingOption, EmbeddingScope
from .results import ResultWriter, rows_from_result

VIDEO_SUFFIXES = frozenset(
    {
        ".mp4",
        ".mov",
        ".mkv",
        ".webm",
        ".avi",
        ".m4v",
        ".mpg",
        ".mpeg",
        ".ts",
        ".flv",
        ".wmv",
        ".3gp",
    }
)


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


@attrs.frozen
class Outcome:
    source: str
    task_id: str | None = None
    status: str = "failed"
    segments: int = 0
    dimension: int = 0
    error: str | None = None


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def expand_inputs(inputs: Sequence[str]) -> list[str]:
    """Directories become the video files inside them (sorted, recursive); the rest pass."""
    out: list[str] = []
    for item in inputs:
        if not is_url(item) and os.path.isdir(item):
            found = sorted(
                str(p)
                for p in Path(item).rglob("*")
                if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
            )
            out.extend(found)
        else:
            out.append(item)
    return out


def describe_error(exc: BaseException) -> str:
    """One line: the platform code when there is one, else the exception's own words."""
    if isinstance(exc, ApiError):
        return f"{exc.code or exc.status_code or 'error'}: {exc.message}"
    if isinstance(exc, OSError) and exc.filename:
        reason = {
            FileNotFoundError: "file not found",
            PermissionError: "permission denied",
            IsADirectoryError: "is a directory",
        }.get(type(exc), exc.strerror or type(exc).__name__)
        return f"{reason}: {exc.filename}"
    if isinstance(exc, (TwelveLabsError, ValueError, OSError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


async def embed_one(
    client: AsyncTwelveLabs,
    source: str,
    opts: EmbedOptions,
    progress: Progress,
    writer: ResultWriter | None,
) -> Outcome:
    row = progress.add_task(source, total=None, state="uploading")

    def on_upload(sent: int, total: int | None) -> None:
        progress.update(row, completed=sent, total=total)

    def on_status(status: TasksStatusResponse) -> None:
        progress.update(row, state=status.status or "?")

    try:
        created = await client.embed.tasks.create(
            opts.model_name,
            video_url=source if is_url(source) else None,
            video_file=None if is_url(source) else source,
            video_start_offset_sec=opts.start,
            video_end_offset_sec=opts.end,
            video_clip_length=opts.clip_length,
            video_embedding_scope=cast("list[EmbeddingScope]", list(opts.scopes or ())) or None,
            on_upload_progress=on_upload,
        )
        task_id = created.id or ""
        progress.update(row, state="processing")
        final = await client.embed.tasks.wait_for_done(
            task_id, sleep_interval=opts.poll_interval, timeout=opts.timeout, callback=on_status
        )
        if final.status != "ready":
            reason = (
                final.error.message if final.error and final.error.message else "no reason given"
            )
            code = final.error.code if final.error and final.error.code else "failed"
            progress.update(row, state=f"[red]failed[/]: {code}")
            return Outcome(source, task_id, "failed", error=f"{code}: {reason}")
        result = await client.embed.tasks.retrieve(
            task_id,
            embedding_option=cast("list[EmbeddingOption]", list(opts.options or ())) or None,
        )
        rows = list(rows_from_result(source, result))
        if writer is not None:
            writer.write(rows)
        dim = len(rows[0].vector) if rows else 0
        progress.update(row, state=f"[green]ready[/]: {len(rows)} segments")
        return Outcome(source, task_id, "ready", len(rows), dim)
    except (TwelveLabsError, OSError, ValueError, TypeError) as exc:
        progress.update(row, state="[red]failed[/]")
        return Outcome(source, None, "failed", error=describe_error(exc))


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
    sources = expand_inputs(inputs)
    if not sources:
        console.print("error: no video files found in the given inputs")
        return 1
    writer = ResultWriter(out) if out else None
    gate = asyncio.Semaphore(opts.concurrency)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    )

    async def bounded(source: str) -> Outcome:
        async with gate:
            return await embed_one(client, source, opts, progress, writer)

    try:
        with progress:
            outcomes = await asyncio.gather(*(bounded(s) for s in sources))
    finally:
        if writer is not None:
            writer.close()
    table = Table(title=f"{len(sources)} video(s), model {opts.model_name}")
    for column in ("source", "task id", "status", "segments", "dim"):
        table.add_column(column)
    for o in outcomes:
        status = o.status if o.error is None else f"failed: {o.error}"
        table.add_row(o.source, o.task_id or "-", status, str(o.segments), str(o.dimension))
    stdout.print(table)
    failed = [o for o in outcomes if o.status != "ready"]
    for o in failed:
        console.print(f"error: {o.source}: {o.error}", markup=False, highlight=False)
    if writer is not None:
        console.print(f"wrote {writer.count} rows to {writer.path}", markup=False)
    return 1 if failed else 0
