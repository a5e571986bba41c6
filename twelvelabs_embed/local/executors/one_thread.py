"""Imported first by the fork server (``WORKER_PRELOAD``), and by nothing else.

Importing it applies :func:`.worker_setup.limit_threads` in the fork server, before the
next preloaded modules load numpy: every worker forked from it starts with one compute
thread per library (unless the user set the thread variables).
"""

from __future__ import annotations

from .worker_setup import limit_threads

limit_threads()
