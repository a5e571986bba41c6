"""The argument parser: one sub-parser per command, global options on either side.

``--api-key``, ``--base-url`` and ``--debug`` are accepted before the command and after it
(``twelvelabs-embed embed a.mp4 --api-key K``): each sub-parser declares them again with a
suppressed default, so a value given before the command is kept unless repeated after it.
"""

from __future__ import annotations

import argparse

from .. import video_rules as rules
from ..client import API_KEY_ENV, BASE_URL_ENV

PROG = "twelvelabs-embed"


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


def _add_global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """The options every command shares; after the command they must not reset earlier ones."""
    unset = argparse.SUPPRESS if after_command else None
    parser.add_argument(
        "--api-key", default=unset, help=f"platform API key (default: ${API_KEY_ENV})"
    )
    parser.add_argument(
        "--base-url",
        default=unset,
        help=f"API base URL ending in /v1.3 (default: ${BASE_URL_ENV} or the platform)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if after_command else False,
        help="show tracebacks",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Video embeddings with the Twelve Labs Embed API. Without an API key, "
        "commands run on the built-in local engine.",
    )
    _add_global_options(p, after_command=False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text, description=help_text)
        _add_global_options(parser, after_command=True)
        return parser

    e = command("embed", "embed videos (files, folders or URLs)")
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

    s = command("status", "a task's status")
    s.add_argument("task_id")

    r = command("retrieve", "a task's embeddings")
    r.add_argument("task_id")
    r.add_argument("--option", action="append", choices=rules.ALL_EMBEDDING_OPTIONS)
    r.add_argument("--out", help="write segments to FILE.jsonl or FILE.npz")

    ls = command("list", "recent tasks, newest first")
    ls.add_argument("--status", choices=rules.TASK_STATUSES)
    ls.add_argument("--limit", type=_count, default=20, help="at most this many (default 20)")

    sub.add_parser("serve", help="run the local engine (see 'serve --help')", add_help=False)
    command("demo", "make a test video, embed it locally, show the similarities")
    return p
