"""Run the CLI as a user would: a real subprocess, a private cache directory, no API key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli_env(cache: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without the user's key, URL or terminal width; the cache in ``cache``."""
    full = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TWELVE_LABS_API_KEY", "TWELVELABS_BASE_URL", "COLUMNS", "LINES")
    }
    full["XDG_CACHE_HOME"] = str(cache)
    full.update(env or {})
    return full


def run(
    args: list[str], cache: Path, *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m twelvelabs_embed ARGS`` with stdout and stderr piped (not a terminal)."""
    proc = subprocess.run(
        [sys.executable, "-m", "twelvelabs_embed", *args],
        capture_output=True,
        text=True,
        timeout=150,
        env=cli_env(cache, env),
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc
