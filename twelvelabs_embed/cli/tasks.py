"""``status``, ``retrieve`` and ``list``: one task, its embeddings, recent tasks."""

from __future__ import annotations

import argparse

from rich.console import Console

from ..client import AsyncTwelveLabs
from ..types import MediaEmbeddingTask
from .exit_codes import EXIT_FAILED, EXIT_OK
from .render import (
    print_json,
    say,
    segment_json,
    segment_table,
    status_json,
    task_json,
    task_source,
    task_table,
)


async def status(
    client: AsyncTwelveLabs, args: argparse.Namespace, out: Console, console: Console
) -> int:
    """Print the task's status, source and error; exit 1 when the task failed."""
    st = await client.embed.tasks.status(args.task_id)
    if args.json:
        print_json(out, status_json(st))
    else:
        meta = st.video_embedding.metadata if st.video_embedding else None
        say(out, f"{st.id}  {st.status}  {st.model_name}")
        if meta is not None:
            say(out, f"  source {task_source(st) or '-'}, duration {meta.duration} s")
        if st.error is not None:
            say(out, f"  error {st.error.code}: {st.error.message}")
    return EXIT_OK if st.status != "failed" else EXIT_FAILED


async def retrieve(
    client: AsyncTwelveLabs, args: argparse.Namespace, out: Console, console: Console
) -> int:
    """Print the task's segments; with ``--out`` also write them to a file."""
    from ..results import ResultWriter, check_output_path, rows_from_result

    if args.out:
        check_output_path(args.out)
    result = await client.embed.tasks.retrieve(args.task_id, embedding_option=args.option)
    meta = result.video_embedding.metadata if result.video_embedding else None
    source = (meta.input_url or meta.input_filename if meta else None) or args.task_id
    rows = list(rows_from_result(source, result))
    if args.out:  # opened only now: a failed retrieve leaves an existing file untouched
        with ResultWriter(args.out) as writer:
            writer.write(rows)
        say(console, f"wrote {len(rows)} rows to {args.out}")
    if args.json:
        print_json(out, segment_json(result.id or args.task_id, rows))
    else:
        out.print(segment_table(result.id or args.task_id, rows))
    return EXIT_OK


async def list_tasks(
    client: AsyncTwelveLabs, args: argparse.Namespace, out: Console, console: Console
) -> int:
    """Print up to ``--limit`` tasks, newest first."""
    pager = await client.embed.tasks.list(status=args.status, page_limit=min(args.limit, 50))
    tasks: list[MediaEmbeddingTask] = []
    async for task in pager:
        tasks.append(task)
        if len(tasks) >= args.limit:
            break
    if args.json:
        print_json(out, [task_json(t) for t in tasks])
    else:
        out.print(task_table(tasks))
    return EXIT_OK
