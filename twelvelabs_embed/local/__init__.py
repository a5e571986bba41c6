"""The local engine: a server that speaks the Embed API, with real decoding and encoding.

``from twelvelabs_embed.local import LocalEngine`` (needs the ``local`` extra). Its worker
processes start with ``forkserver``, which re-imports the main module: a script that
starts an engine needs the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

# The engine logs what its operator should know (a worker crashed, a download failed).
# `serve` configures logging to show it; an engine inside another program (the CLI, a
# script) stays quiet unless that program configures logging, as libraries should.
logging.getLogger(__name__).addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from .engine import LocalEngine

__all__ = ["LocalEngine"]


def __getattr__(name: str) -> Any:
    if name == "LocalEngine":  # imported on first use: the SDK never loads the engine
        from .engine import LocalEngine

        return LocalEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
