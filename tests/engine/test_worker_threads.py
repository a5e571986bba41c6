"""The engine's media workers use one compute thread each, unless the user said otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from twelvelabs_embed.local.executors.worker_setup import THREAD_VARIABLES, one_thread_defaults

ROOT = Path(__file__).resolve().parents[2]


def test_every_variable_is_set_to_one_when_the_user_set_none() -> None:
    environ = {"PATH": "/bin"}
    assert one_thread_defaults(environ) is True
    assert environ == {"PATH": "/bin", **dict.fromkeys(THREAD_VARIABLES, "1")}


def test_a_user_who_set_any_variable_keeps_every_one_as_it_was() -> None:
    environ = {"MKL_NUM_THREADS": "4"}
    assert one_thread_defaults(environ) is False
    assert environ == {"MKL_NUM_THREADS": "4"}


def seen_by_a_worker(**env: str) -> dict[str, object]:
    """Start a pool in a fresh interpreter (its own fork server) with only ``env`` set of
    the thread variables, and return what its worker saw."""
    clean = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    out = subprocess.run(
        [sys.executable, "-m", "tests.engine.threads_probe"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return seen


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_a_pool_worker_runs_numpy_on_one_thread() -> None:
    seen = seen_by_a_worker()
    assert seen["env"] == dict.fromkeys(THREAD_VARIABLES, "1")
    # no thread beyond Python's own (the main one and the engine watcher): OpenBLAS,
    # loaded by the fork server before the worker existed, started none of its own
    assert seen["os_threads"] == seen["python_threads"]


def test_the_users_own_setting_reaches_the_worker_untouched() -> None:
    seen = seen_by_a_worker(OMP_NUM_THREADS="2")
    assert seen["env"] == {
        name: "2" if name == "OMP_NUM_THREADS" else None for name in THREAD_VARIABLES
    }
