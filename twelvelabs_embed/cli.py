"""``twelvelabs-embed``: embed videos from the shell, on the platform or the local engine.

Thin by design: parse arguments, pick a server, call the client, render results. With no
API key it starts the local engine in-process (data kept in the user cache directory, so
``status`` and ``retrieve`` find earlier tasks) and says so in one line. Every expected
failure is one line on stderr and a non-zero exit; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import video_rules as rules
from .client import API_KEY_ENV, BASE_URL_ENV, AsyncTwelveLabs
from .errors import TwelveLabsError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="twelvelabs-embed",
        description="Video embeddings with the Twelve Labs Embed API. Without an API key, "
        "commands run on the built-in local engine.",
    )
    p.add_argument("--api-key", help=f"platform API key (default: ${API_KEY_ENV})")
    p.add_argument("--base-url", help=f"API base URL (default: ${BASE_URL_ENV} or the platform)")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    e = sub.add_parser("embed", help="embed videos (files, folders or URLs)")
    e.add_argument("inputs", nargs="+", metavar="VIDEO_OR_URL")
    e.add_argument("--model", default=rules.DEFAULT_MODEL, choices=sorted(rules.MODELS))
    e.add_argument("--clip-length", type=float, help="seconds per clip, 2-10 (default 6)")
    e.add_argument(
        "--scope", action="append", choices=rules.SCOPES, help="repeat for clip and video"
    )
    e.add_argument(
        "--option", action="append", choices=rules.ALL_EMBEDDING_OPTIONS, help="keep only these"
    )
    e.add_argument("--start", type=float, help="start offset in seconds (with --end)")
    e.add_argument("--end", type=float, help="end offset in seconds (with --start)")
    e.add_argument("--concurrency", type=_count, default=4, help="uploads at once (default 4)")
    e.add_argument("--poll-interval", type=_positive, default=2.0, help="seconds between polls")
    e.add_argument("--timeout", type=_positive, help="give up waiting for a task after this")
    e.add_argument("--out", help="write segments to FILE.jsonl, FILE.npz or FILE.parquet")
    e.add_argument(
        "--journal",
        metavar="FILE.db",
        help="record the job in this SQLite file; run again with it to resume",
    )
    e.add_argument(
        "--retry-failed", action="store_true", help="also retry inputs the journal marks failed"
    )

    s = sub.add_parser("status", help="a task's status")
    s.add_argument("task_id")

    r = sub.add_parser("retrieve", help="a task's embeddings")
    r.add_argument("task_id")
    r.add_argument("--option", action="append", choices=rules.ALL_EMBEDDING_OPTIONS)
    r.add_argument("--out", help="write segments to FILE.jsonl or FILE.npz")

    ls = sub.add_parser("list", help="recent tasks, newest first")
    ls.add_argument("--status", choices=rules.TASK_STATUSES)
    ls.add_argument("--limit", type=_count, default=20, help="at most this many (default 20)")

    sub.add_parser("serve", help="run the local engine (see 'serve --help')", add_help=False)
    sub.add_parser("demo", help="make a test video, embed it locally, show the similarities")
    return p


def engine_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("twelvelabs-embed")) / "engine"


@contextlib.asynccontextmanager
async def connect(
    api_key: str | None, base_url: str | None, console: Console, *, local: bool = False
) -> AsyncIterator[AsyncTwelveLabs]:
    """A client for the platform when a key or URL is given, else for a local engine."""
    key = api_key or os.environ.get(API_KEY_ENV) or None
    url = base_url or os.environ.get(BASE_URL_ENV) or None
    if not local and (key or url):
        async with AsyncTwelveLabs(key, base_url=url) as client:
            yield client
        return
    try:
        from .local.engine import LocalEngine
    except ImportError as exc:
        raise TwelveLabsError(
            f"No API key and the local engine is not installed ({exc.name} is missing): "
            f"set {API_KEY_ENV}, or pip install 'twelvelabs-embed[local]'"
        ) from exc
    data_dir = engine_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    console.print(
        f"No API key: using the local engine (data in {data_dir}); set {API_KEY_ENV} for the platform.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    async with (
        LocalEngine(data_dir=data_dir) as engine,
        AsyncTwelveLabs(engine.api_key, base_url=engine.base_url) as client,
    ):
        yield client


async def _status(client: AsyncTwelveLabs, args: argparse.Namespace, out: Console) -> int:
    st = await client.embed.tasks.status(args.task_id)
    meta = st.video_embedding.metadata if st.video_embedding else None
    out.print(
        f"{st.id}  {st.status}  {st.model_name}", markup=False, highlight=False, soft_wrap=True
    )
    if meta is not None:
        source = meta.input_url or meta.input_filename or "-"
        out.print(
            f"  source {source}, duration {meta.duration} s",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if st.error is not None:
        out.print(
            f"  error {st.error.code}: {st.error.message}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    return EXIT_OK if st.status != "failed" else EXIT_FAILED


async def _retrieve(client: AsyncTwelveLabs, args: argparse.Namespace, out: Console) -> int:
    from .results import ResultWriter, check_output_path, rows_from_result

    if args.out:
        check_output_path(args.out)
    result = await client.embed.tasks.retrieve(args.task_id, embedding_option=args.option)
    rows = list(rows_from_result(args.task_id, result))
    if args.out:  # opened only now: a failed retrieve leaves an existing file untouched
        with ResultWriter(args.out) as writer:
            writer.write(rows)
    out.print(segment_table(result.id or args.task_id, rows))
    return EXIT_OK


def segment_table(title: str, rows: Sequence[object]) -> Table:
    table = Table(title=f"task {title}: {len(rows)} segments")
    for column in ("option", "scope", "start", "end", "dim", "first values"):
        table.add_column(column)
    for r in rows:
        v = getattr(r, "vector", [])
        table.add_row(
            getattr(r, "embedding_option", ""),
            getattr(r, "embedding_scope", ""),
            f"{getattr(r, 'start_offset_sec', 0.0):.2f}",
            f"{getattr(r, 'end_offset_sec', 0.0):.2f}",
            str(len(v)),
            " ".join(f"{x:+.3f}" for x in v[:4]),
        )
    return table


async def _list(client: AsyncTwelveLabs, args: argparse.Namespace, out: Console) -> int:
    table = Table(title="tasks, newest first")
    for column in ("task id", "status", "model", "created"):
        table.add_column(column)
    pager = await client.embed.tasks.list(status=args.status, page_limit=min(args.limit, 50))
    shown = 0
    async for task in pager:
        created = task.created_at.isoformat() if task.created_at else "-"
        table.add_row(task.id or "-", task.status or "-", task.model_name or "-", created)
        shown += 1
        if shown >= args.limit:
            break
    out.print(table)
    return EXIT_OK


async def _run(args: argparse.Namespace, console: Console, out: Console) -> int:
    if args.command == "demo":
        from ._cli_demo import run_demo

        async with connect(None, None, console, local=True) as client:
            return await run_demo(client, console, out)
    if args.command == "embed":
        from ._cli_embed import EmbedOptions, run_embed
        from .results import check_output_path

        if args.out:
            check_output_path(args.out)
        opts = EmbedOptions(
            model_name=args.model,
            clip_length=args.clip_length,
            scopes=tuple(args.scope) if args.scope else None,
            options=tuple(args.option) if args.option else None,
            start=args.start,
            end=args.end,
            concurrency=args.concurrency,
            poll_interval=args.poll_interval,
            timeout=args.timeout,
            journal=args.journal,
            retry_failed=args.retry_failed,
        )
        async with connect(args.api_key, args.base_url, console) as client:
            return await run_embed(
                client, args.inputs, opts, out=args.out, console=console, stdout=out
            )
    handlers = {"status": _status, "retrieve": _retrieve, "list": _list}
    async with connect(args.api_key, args.base_url, console) as client:
        return await handlers[args.command](client, args, out)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        from .local.serve import main as serve_main

        return serve_main(argv[1:])
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "serve":
        parser.error("options for the engine go after 'serve' (see 'serve --help')")
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    console = Console(stderr=True, highlight=False)
    out = Console(highlight=False)
    try:
        return asyncio.run(_run(args, console, out))
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    except (TwelveLabsError, OSError, ValueError) as exc:
        if args.debug:
            raise
        from ._cli_embed import describe_error

        console.print(
            f"error: {describe_error(exc)}", markup=False, highlight=False, soft_wrap=True
        )
        return EXIT_FAILED
    except Exception as exc:
        if args.debug:
            raise
        console.print(
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return EXIT_INTERNAL
