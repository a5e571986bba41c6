"""``twelvelabs-embed``: embed videos from the shell, on the platform or the local engine.

Thin by design: parse arguments, pick a server, call the client, render results. With no
API key it starts the local engine in-process (data kept in the user cache directory, so
``status`` and ``retrieve`` find earlier tasks) and says so in one line. Every expected
failure is one line on stderr and a non-zero exit; ``--debug`` shows tracebacks.

Layout: ``parser`` (arguments), ``main`` (dispatch and exit codes), ``connect`` (platform
or local engine), ``render`` (tables, JSON), one module per command.
"""

from .main import main

__all__ = ["main"]
