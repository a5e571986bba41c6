"""Module-level job functions the Ray tests send to workers (workers import this module).

Each one coordinates with the test through small files, never through timing.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

WAIT_LIMIT_SEC = 120.0
"""A waiting job gives up after this long, so a broken test cannot leave a worker behind."""


def where() -> tuple[str, int]:
    """The Ray node id and worker pid that ran this job."""
    import ray

    return ray.get_runtime_context().get_node_id(), os.getpid()


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_SEC
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.02)


def rendezvous(folder: str, name: str, parties: int) -> tuple[str, int]:
    """Arrive, then wait until ``parties`` jobs have arrived: they run at the same time."""
    Path(folder, name).write_text("here")
    _wait_for(lambda: len(list(Path(folder).iterdir())) >= parties, "the other jobs never came")
    return where()


def hold(folder: str, name: str, release: str) -> tuple[str, int]:
    """Say it started (with its node id and pid), then wait for the ``release`` file."""
    node, pid = where()
    Path(folder, f"{name}.{pid}").write_text(node)
    _wait_for(Path(release).exists, "never released")
    return node, pid


def crash_once(marker: str) -> int:
    """Kill its own worker process on the first attempt; answer on the next."""
    m = Path(marker)
    if not m.exists():
        m.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


def crash_always() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def crash_counted(folder: str) -> None:
    """Note this run (one file per run), then kill its own worker process: a poisonous
    video, every time."""
    Path(folder, f"run-{os.getpid()}-{time.monotonic_ns()}").write_text("ran")
    os.kill(os.getpid(), signal.SIGKILL)


def hang(pid_file: str) -> None:
    """Write the pid, then never return (a decoder stuck in native code)."""
    Path(pid_file).write_text(str(os.getpid()))
    while True:
        signal.pause()


def refuse(code: str, message: str) -> None:
    from twelvelabs_embed.local.media.task_job import JobRefused

    raise JobRefused(code, message)
