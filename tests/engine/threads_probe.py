"""Run in a fresh interpreter by ``test_worker_threads.py``: start the engine's process
pool and print what its worker sees (its own fork server, so its own environment)."""

from __future__ import annotations

import asyncio
import json
import os
import threading

from twelvelabs_embed.local.executors.factory import WORKER_PRELOAD
from twelvelabs_embed.local.executors.process_pool import ProcessPoolMediaExecutor
from twelvelabs_embed.local.executors.worker_setup import THREAD_VARIABLES


def threads_seen() -> dict[str, object]:
    """In the worker: the thread variables, and its OS threads beside Python's own after
    a matrix product (OpenBLAS starts one thread per core unless told otherwise)."""
    import numpy as np

    a = np.ones((300, 300))
    _ = a @ a
    return {
        "env": {name: os.environ.get(name) for name in THREAD_VARIABLES},
        "os_threads": len(os.listdir("/proc/self/task")),
        "python_threads": threading.active_count(),
    }


async def main() -> None:
    pool = ProcessPoolMediaExecutor(1, preload=WORKER_PRELOAD)
    try:
        print(json.dumps(await pool.run(threads_seen)))
    finally:
        await pool.aclose()


if __name__ == "__main__":
    asyncio.run(main())
