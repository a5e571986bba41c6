"""A process that starts media worker pools over and over while its process group is
flooded with SIGINT, as a terminal's Ctrl-C floods the CLI's (run by test_worker_lifetime).

Prints ``crashed=N started=M``: how many pools lost a worker, and how many were started.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from twelvelabs_embed.local.executors.base import WorkerCrashed
from twelvelabs_embed.local.executors.process_pool import ProcessPoolMediaExecutor


async def _rounds(n: int) -> tuple[int, int]:
    crashed = 0
    for _ in range(n):
        executor = ProcessPoolMediaExecutor(2)
        try:
            await asyncio.gather(*(executor.run(os.getpid) for _ in range(4)))
        except WorkerCrashed:
            crashed += 1
        finally:
            await executor.aclose()
    return crashed, n


def main() -> None:
    signal.signal(signal.SIGINT, lambda *_: None)  # this process survives the flood
    print("ready", flush=True)
    crashed, started = asyncio.run(_rounds(int(sys.argv[1])))
    print(f"crashed={crashed} started={started}", flush=True)
    os._exit(0)  # the flood goes on: interpreter teardown restores SIGINT's default


if __name__ == "__main__":
    main()
