"""Forced task states: when a ``processing`` task may start, and acting on one by id.

``auto`` (the default) processes tasks as they come; ``manual`` keeps every new task
``processing`` until a test completes, fails or releases it; ``processing_delay_ms``
holds each task that long before its work starts. ``hold`` keeps one task processing
in any mode until ``release``.

Each API family's tasks (v1 ``/embed/tasks``, v2 tasks, ...) plug in as a
:class:`TaskFamily`: its runner asks :meth:`Lifecycle.decide` before it works on a task,
and the control plane finds a task by id in whichever family knows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

Mode = Literal["auto", "manual"]
Decision = Literal["run", "park"] | float
"""``run`` now, ``park`` until released, or a delay in seconds before running."""
MAX_DELAY_MS = 3_600_000


class LifecycleSpecError(ValueError):
    """A lifecycle body that cannot be understood; the message says why."""


class TaskFamily(Protocol):
    """The tasks of one API family, as the control plane drives them."""

    name: str

    async def status_of(self, task_id: str) -> str | None:
        """The task's status, or ``None`` when this family does not know the id."""
        ...

    async def force_fail(self, task_id: str, code: str, message: str) -> bool:
        """Fail a ``processing`` task now; ``False`` when it is not processing."""
        ...

    async def force_complete(self, task_id: str) -> str:
        """Do the task's work now, whatever the mode or holds; returns its final status."""
        ...

    async def counts(self) -> dict[str, int]:
        """Tasks by status."""
        ...

    def queue_length(self) -> int:
        """Tasks waiting for a worker (not parked ones)."""
        ...

    async def delete_all(self) -> None:
        """Forget every task (a reset that includes tasks)."""
        ...


class Lifecycle:
    """The mode, the delay and the holds, and the tasks parked because of them."""

    def __init__(self) -> None:
        self.mode: Mode = "auto"
        self.processing_delay_ms = 0
        self._held: set[str] = set()
        self._delayed: set[str] = set()
        self._parked: dict[str, Callable[[str], None]] = {}
        self.families: list[TaskFamily] = []

    def register(self, family: TaskFamily) -> None:
        self.families.append(family)

    async def find(self, task_id: str) -> tuple[TaskFamily, str] | None:
        """The family that knows ``task_id``, and the task's status."""
        for family in self.families:
            status = await family.status_of(task_id)
            if status is not None:
                return family, status
        return None

    def decide(self, task_id: str, resubmit: Callable[[str], None]) -> Decision:
        """Whether a runner may work on ``task_id`` now. A parked task is handed back
        through ``resubmit`` once it may run."""
        if self.mode == "manual" or task_id in self._held:
            self._parked[task_id] = resubmit
            return "park"
        if self.processing_delay_ms and task_id not in self._delayed:
            self._delayed.add(task_id)
            return self.processing_delay_ms / 1000
        self._delayed.discard(task_id)
        return "run"

    def set(self, body: Any) -> None:
        """``{"mode": "auto" | "manual", "processing_delay_ms": n}`` (either may be left out)."""
        if not isinstance(body, Mapping):
            raise LifecycleSpecError("The body must be a JSON object.")
        unknown = set(body) - {"mode", "processing_delay_ms"}
        if unknown:
            raise LifecycleSpecError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
        mode = body.get("mode", self.mode)
        if mode not in ("auto", "manual"):
            raise LifecycleSpecError("`mode` must be `auto` or `manual`.")
        delay = body.get("processing_delay_ms", self.processing_delay_ms)
        if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_DELAY_MS:
            raise LifecycleSpecError(
                f"`processing_delay_ms` must be a whole number from 0 to {MAX_DELAY_MS}."
            )
        self.mode = mode
        self.processing_delay_ms = delay
        self._wake()

    def hold(self, task_id: str) -> None:
        self._held.add(task_id)

    def release(self, task_id: str) -> None:
        self._held.discard(task_id)
        self._wake()

    def reset(self) -> None:
        """Back to ``auto`` with no delay and no holds; parked tasks run."""
        self.mode = "auto"
        self.processing_delay_ms = 0
        self._held.clear()
        self._wake()

    def forget(self) -> None:
        """Drop every parked task without running it (their tasks were deleted)."""
        self._parked.clear()
        self._delayed.clear()

    def _wake(self) -> None:
        """Hand back every parked task that may now run."""
        if self.mode == "manual":
            return
        ready = [t for t in self._parked if t not in self._held]
        for task_id in ready:
            self._parked.pop(task_id)(task_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "processing_delay_ms": self.processing_delay_ms,
            "held": sorted(self._held),
            "parked": sorted(self._parked),
        }
