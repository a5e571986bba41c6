"""Parse, dispatch to one command, turn what went wrong into one line and an exit status."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from rich.console import Console

from ..errors import TwelveLabsError
from . import serve
from .connect import connect
from .exit_codes import EXIT_FAILED, EXIT_INTERNAL, EXIT_INTERRUPTED
from .parser import build_parser, secrets_in
from .render import make_console, say


async def _run(args: argparse.Namespace, console: Console, out: Console) -> int:
    if args.command == "demo":
        from .demo import run_demo

        async with connect(args, console, local=True) as client:
            return await run_demo(client, console, out)
    if args.command in ("search", "similar"):
        from .search import run_search, run_similar_command

        handler = run_search if args.command == "search" else run_similar_command
        return await handler(args, out, console)
    if args.command == "embed":
        from .embed import run_embed

        return await run_embed(args, console=console, stdout=out)
    if args.command == "embed-text":
        from .embed_text import run_embed_text

        async with connect(args, console) as client:
            return await run_embed_text(client, args, out, console)
    from . import tasks

    handlers = {"status": tasks.status, "retrieve": tasks.retrieve, "list": tasks.list_tasks}
    async with connect(args, console) as client:
        return await handlers[args.command](client, args, out, console)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``twelvelabs-embed`` entry point; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        return serve.run(argv[1:])
    parser = build_parser(secrets=secrets_in(argv))
    args, extra = parser.parse_known_args(argv)
    if args.command == "serve":
        parser.error("options for the engine go after 'serve' (see 'serve --help')")
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    console = make_console(stderr=True)
    out = make_console(stderr=False)
    try:
        return asyncio.run(_run(args, console, out))
    except KeyboardInterrupt:
        console.print("interrupted")
        return EXIT_INTERRUPTED
    except (TwelveLabsError, OSError, ValueError) as exc:
        if args.debug:
            raise
        from ..jobs.failures import describe_error

        say(console, f"error: {describe_error(exc)}")
        return EXIT_FAILED
    except Exception as exc:
        if args.debug:
            raise
        say(
            console,
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
        )
        return EXIT_INTERNAL
