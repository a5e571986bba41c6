"""The CLI's exit statuses, shared by ``main`` and every command."""

EXIT_OK = 0
"""Everything asked for succeeded."""
EXIT_FAILED = 1
"""An expected failure (bad input, a failed task, an unreachable server), said in one line."""
EXIT_USAGE = 2
"""The command line itself is wrong (argparse's own status)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C."""
EXIT_INTERNAL = 70
"""A bug: an exception nobody expected (``--debug`` shows the traceback)."""
