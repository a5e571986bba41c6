"""The argument parser: one sub-parser per command, global options on either side.

``--api-key``, ``--base-url`` and ``--debug`` are accepted before the command and after it
(``twelvelabs-embed embed a.mp4 --api-key K``): each sub-parser declares them again with a
suppressed default, so a value given before the command is kept unless repeated after it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, NoReturn
from urllib.parse import urlsplit

from .. import video_rules as rules
from ..client import API_KEY_ENV, BASE_URL_ENV

PROG = "twelvelabs-embed"
API_VERSION_PATH = "/v1.3"


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


def _clip_length(text: str) -> float:
    value = float(text)
    low, high = rules.MIN_CLIP_LENGTH_SEC, rules.MAX_CLIP_LENGTH_SEC
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be {low:g}-{high:g} seconds, got {text}")
    return value


def _video_or_url(text: str) -> str:
    why = rules.unsupported_url(text)
    if why is not None:
        raise argparse.ArgumentTypeError(why)
    return text


def _base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"must be an http(s) URL, not {text!r}")
    if not parts.path.rstrip("/").endswith(API_VERSION_PATH):
        raise argparse.ArgumentTypeError(
            f"must end in the API version, {API_VERSION_PATH} "
            f"(e.g. http://127.0.0.1:8000{API_VERSION_PATH}), not {text!r}"
        )
    return text


class CliParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors never repeat an API key from the command line."""

    def __init__(self, *args: Any, secrets: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.secrets = list(secrets)

    def error(self, message: str) -> NoReturn:
        for secret in self.secrets:
            message = message.replace(secret, "***")
        super().error(message)


def secrets_in(argv: Sequence[str]) -> list[str]:
    """The values given to ``--api-key`` (and look-alikes such as ``--api_key``) in ``argv``."""
    found: list[str] = []
    for n, token in enumerate(argv):
        name, eq, value = token.partition("=")
        if name.lstrip("-").replace("_", "-").lower() not in ("api-key", "apikey", "key"):
            continue
        if eq and value:
            found.append(value)
        elif not eq and n + 1 < len(argv):
            found.append(argv[n + 1])
    return [s for s in found if s]


def _add_global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """The options every command shares; after the command they must not reset earlier ones."""
    unset = argparse.SUPPRESS if after_command else None
    parser.add_argument(
        "--api-key", default=unset, help=f"platform API key (default: ${API_KEY_ENV})"
    )
    parser.add_argument(
        "--base-url",
        type=_base_url,
        default=unset,
        help=f"API base URL ending in /v1.3 (default: ${BASE_URL_ENV} or the platform)",
    )
    parser.add_argument(
        "--data-dir",
        default=unset,
        metavar="DIR",
        help="where the built-in local engine keeps tasks when there is no API key "
        "(default: the user cache directory, e.g. ~/.cache/twelvelabs-embed/engine)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if after_command else False,
        help="show tracebacks",
    )


def _add_json(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"{help_text}, for scripts")


def _cosine(text: str) -> float:
    value = float(text)
    if not -1.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a cosine between -1 and 1, got {text}")
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a share in (0, 1], got {text}")
    return value


def _add_encoder(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--encoder",
        choices=("descriptor", "semantic", "efficientnet-lite0"),
        help=f"{help_text} (local engine only; semantic needs the model extra)",
    )


def _add_search_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """``search`` and ``similar`` over results files ``embed --out`` wrote."""
    s = command("search", "rank the segments of results files by similarity to a query")
    s.add_argument("results", nargs="+", metavar="RESULTS", help=".parquet, .jsonl or .npz")
    query = s.add_mutually_exclusive_group(required=True)
    query.add_argument("--text", help="find what this text describes")
    query.add_argument("--image", metavar="FILE_OR_URL", help="find what looks like this image")
    query.add_argument("--video", metavar="FILE_OR_URL", help="find what looks like this clip")
    query.add_argument(
        "--like", metavar="SOURCE@SECONDS", help="the segment of SOURCE at SECONDS (in RESULTS)"
    )
    s.add_argument("--top", type=_count, default=10, help="hits to show (default 10)")
    s.add_argument("--option", choices=rules.ALL_EMBEDDING_OPTIONS, help="default: visual")
    s.add_argument("--scope", choices=rules.SCOPES, default="clip", help="default: clip")
    _add_json(s, "print the hits as JSON")
    s.add_argument("--html", metavar="FILE", help="also write a page with a thumbnail per hit")
    _add_encoder(s, "the local engine's encoder for the query: the one the results were made with")

    m = command("similar", "near-duplicate videos and matching clip pairs in results files")
    m.add_argument("results", nargs="+", metavar="RESULTS", help=".parquet, .jsonl or .npz")
    m.add_argument(
        "--threshold", type=_cosine, default=0.9, help="cosine at which clips match (0.9)"
    )
    m.add_argument(
        "--min-coverage",
        type=_share,
        default=0.8,
        help="share of BOTH videos' clips that must match for a duplicate (0.8)",
    )
    m.add_argument(
        "--scope",
        choices=rules.SCOPES,
        default="video",
        help="video: duplicate groups and video matches (default); clip: the clip pairs",
    )
    m.add_argument("--option", choices=rules.ALL_EMBEDDING_OPTIONS, help="default: visual")
    _add_json(m, "print the groups or pairs as JSON")
    m.add_argument("--html", metavar="FILE", help="also write a page with thumbnails")


def build_parser(secrets: Sequence[str] = ()) -> CliParser:
    """The whole command line; ``secrets`` are blanked out of usage errors."""
    p = CliParser(
        prog=PROG,
        secrets=secrets,
        description="Video embeddings with the Twelve Labs Embed API. Without an API key, "
        "commands run on the built-in local engine.",
    )
    _add_global_options(p, after_command=False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text, description=help_text, secrets=secrets)
        _add_global_options(parser, after_command=True)
        return parser

    e = command("embed", "embed videos (files, folders or URLs)")
    e.add_argument("inputs", nargs="+", metavar="VIDEO_OR_URL", type=_video_or_url)
    e.add_argument("--model", default=rules.DEFAULT_MODEL, choices=sorted(rules.MODELS))
    e.add_argument(
        "--clip-length",
        type=_clip_length,
        help="seconds per segment, 2-10 (default 6; the last one may be shorter)",
    )
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
    e.add_argument(
        "--out", help="write segments to FILE.jsonl, FILE.npz or FILE.parquet (extra [parquet])"
    )
    e.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="let the built-in local engine fetch URLs on loopback or private addresses",
    )
    _add_encoder(e, "the local engine's encoder (default descriptor; semantic lets text search)")
    e.add_argument(
        "--journal",
        metavar="FILE.db",
        help="record the job in this SQLite file; run again with it to resume",
    )
    e.add_argument(
        "--retry-failed", action="store_true", help="also retry inputs the journal marks failed"
    )
    e.add_argument(
        "--api",
        choices=("v1", "v2"),
        default="v1",
        help="Embed API version: v1 tasks (default: any file size up to 2 GB) or v2 tasks "
        "(a local file must be within 36 MB, sent as base64); the output rows are the same",
    )
    _add_json(e, "print the summary as JSON (one object per input)")

    t = command("embed-text", "embed a text and/or an image now (Embed API v2), print or save it")
    t.add_argument("text", nargs="?", help="the text (500 tokens on marengo3.0)")
    t.add_argument("--image", metavar="FILE_OR_URL", help="an image (JPEG or PNG) to embed too")
    t.add_argument("--model", default="marengo3.0", choices=("marengo3.0", "marengo3.5"))
    t.add_argument(
        "--dimension", type=int, choices=(128, 256, 512), help="marengo3.5 only (default 512)"
    )
    t.add_argument(
        "--out", metavar="FILE.npy|FILE.json", help="save the vector instead of printing it"
    )

    s = command("status", "a task's status")
    s.add_argument("task_id")
    _add_json(s, "print the status as JSON")

    r = command("retrieve", "a task's embeddings")
    r.add_argument("task_id")
    r.add_argument("--option", action="append", choices=rules.ALL_EMBEDDING_OPTIONS)
    r.add_argument(
        "--out", help="write segments to FILE.jsonl, FILE.npz or FILE.parquet (extra [parquet])"
    )
    _add_json(r, "print the segments, vectors included, as JSON")

    ls = command("list", "recent tasks, newest first")
    ls.add_argument("--status", choices=rules.TASK_STATUSES)
    ls.add_argument("--limit", type=_count, default=20, help="at most this many (default 20)")
    _add_json(ls, "print the tasks as a JSON array")

    _add_search_commands(command)

    sub.add_parser("serve", help="run the local engine (see 'serve --help')", add_help=False)
    command("demo", "make a test video, embed it locally, show the similarities")
    return p
