"""What tests look at instead of the wall clock: the retry waits a client chose, and the
package's own tasks still alive on an event loop.

Two rules for the whole suite (issue #12):

* A test never sleeps to show that something did *not* happen. It shows the cause is
  gone instead: no task of the package is left on any loop (:func:`package_tasks`), so
  nothing can send another request; or it lets the loop run a fixed number of steps
  (:func:`settle`) when the code under test parks on its first step.
* A test never bounds elapsed wall-clock time from above (a loaded machine makes any
  bound a flake). Waits are read from what the client decided (:func:`retry_delays`,
  from its log), counted (requests the server saw), or driven by an injected clock.
  Generous hang guards (``asyncio.timeout(30)``, ``proc.wait(timeout=...)``) stay: they
  only turn a hang into a failure.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import twelvelabs_embed

PACKAGE_DIR = str(Path(twelvelabs_embed.__file__).parent)
_DELAY = re.compile(r"\bretrying\b.*?\bin (\d+(?:\.\d+)?) ?s\b")


def retry_delays(records: Iterable[logging.LogRecord]) -> list[float]:
    """The waits the transport announced before each retry ("retrying ... in 0.43s"),
    in order. Pass ``caplog.records``; capture at INFO on ``twelvelabs_embed``."""
    out = []
    for record in records:
        match = _DELAY.search(record.getMessage())
        if match and record.name.startswith("twelvelabs_embed"):
            out.append(float(match.group(1)))
    return out


def _runs_package_code(task: asyncio.Task[Any]) -> bool:
    coro: Any = task.get_coro()
    code = getattr(coro, "cr_code", None) or getattr(coro, "ag_code", None)
    return code is not None and code.co_filename.startswith(PACKAGE_DIR)


async def _live_package_tasks() -> list[str]:
    me = asyncio.current_task()
    return sorted(
        repr(t.get_coro())
        for t in asyncio.all_tasks()
        if t is not me and not t.done() and _runs_package_code(t)
    )


async def package_tasks(client: object) -> list[str]:
    """The package's tasks still running for ``client``: on the running loop for the
    async client, on the private portal loop for the sync one (seen through
    ``tests.sync_adapter.AsyncSurface``). Empty means no poll or create can still go out."""
    found = await _live_package_tasks()
    sync = getattr(client, "_sync", None)
    portal = getattr(sync, "_portal", None)
    if portal is not None and not portal.closed:
        future = asyncio.run_coroutine_threadsafe(_live_package_tasks(), portal._loop)
        found += await asyncio.wrap_future(future)
    return found


async def settle(steps: int = 20) -> None:
    """Let every task that is ready run ``steps`` times: a counted number of loop
    passes, not a length of time, so load cannot change the outcome."""
    for _ in range(steps):
        await asyncio.sleep(0)
