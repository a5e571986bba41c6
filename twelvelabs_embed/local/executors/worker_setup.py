"""What a media worker process does before anything else, and how the engine starts one.

One compute thread per worker (issue #18): OpenMP, OpenBLAS, MKL and torch each start
a thread per core by default, and in a pool of one worker per core those threads fight
the decoder for the same cores; with one each, the pool's throughput doubled
(``benchmarks/bench_ray.py``, 1 worker, 2 cores). The variables must be set before the
libraries load: the fork server imports :mod:`.one_thread` first (before numpy), and
:func:`init_worker` sets them again for a worker started without it. A user who set any
of them has chosen, and nothing is changed. (Ray sets ``OMP_NUM_THREADS`` for its 1-CPU
tasks itself.)

Two promises (issue #20 item 9 and the Ctrl-C race): a worker never dies of a Ctrl-C
meant for the engine (the engine stops its workers itself), and a worker never outlives
the engine (``kill -9``, the OOM killer): an orphan would decode on at full CPU with no
time limit, and a restart would decode the same video again.

Ctrl-C reaches every process of the terminal's foreground group, so a worker that is
still starting (before its initializer ran) would die of it. The engine therefore starts
processes with SIGINT *blocked* (:func:`sigint_blocked`); a blocked signal stays blocked
across ``fork`` and ``exec``, so the fork server and every worker begin life with it
blocked, and :func:`init_worker` ignores it before unblocking it.

A worker's parent is the fork server, which lives as long as any worker holds its
pipe, so ``PR_SET_PDEATHSIG`` would wait on the wrong process: each worker watches the
engine's pid itself (a pidfd where the OS has them, else a once-a-second check).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator, MutableMapping

ENGINE_GONE_EXIT = 70
"""A worker's exit status when it stops because the engine is gone."""
_SIGINT = {signal.SIGINT}
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
"""What OpenMP, OpenBLAS, MKL, Accelerate and numexpr read for their thread count."""


def one_thread_defaults(environ: MutableMapping[str, str]) -> bool:
    """Set every thread variable to 1, unless the user set any; returns whether it did."""
    if any(name in environ for name in THREAD_VARIABLES):
        return False
    for name in THREAD_VARIABLES:
        environ[name] = "1"
    return True


def limit_threads() -> None:
    """This process's thread settings: the variables, and torch's if it is loaded already."""
    one_thread_defaults(os.environ)
    torch = sys.modules.get("torch")
    if torch is not None and os.environ.get("OMP_NUM_THREADS") == "1":
        torch.set_num_threads(1)


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Block SIGINT in the calling thread while it may start processes.

    The kernel delivers a Ctrl-C to another thread (Python's handler runs in the main
    thread either way), or holds it until the block ends, so nothing is lost.
    """
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGINT)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def init_worker(engine_pid: int) -> None:
    """The pool's initializer: one compute thread, ignore Ctrl-C, then stop whenever the
    engine stops."""
    limit_threads()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGINT)
    watch_engine(engine_pid)


def watch_engine(engine_pid: int) -> None:
    """Exit this process as soon as ``engine_pid`` has exited (a daemon thread waits)."""
    pidfd: int | None = None
    try:
        pidfd = os.pidfd_open(engine_pid)
    except ProcessLookupError:
        os._exit(ENGINE_GONE_EXIT)  # the engine died before this worker could watch it
    except (AttributeError, OSError):  # no pidfds here (macOS, old kernels): poll
        pidfd = None
    threading.Thread(
        target=_wait_then_exit, args=(engine_pid, pidfd), name="engine-watch", daemon=True
    ).start()


def _wait_then_exit(engine_pid: int, pidfd: int | None) -> None:
    if pidfd is not None:
        select.select([pidfd], [], [])  # readable once the engine has exited
    else:
        while _alive(engine_pid):
            time.sleep(1.0)
    os._exit(ENGINE_GONE_EXIT)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
