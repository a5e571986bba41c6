"""``serve``: hand the rest of the command line to the engine's own parser."""

from __future__ import annotations

from collections.abc import Sequence


def run(argv: Sequence[str]) -> int:
    """Run the local engine in the foreground until Ctrl-C or SIGTERM."""
    from ..local.serve import main as serve_main

    return serve_main(argv)
