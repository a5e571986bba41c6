"""When to poll each watched task next: near when it should finish, then backing off.

Until some task of the poller has finished, nobody can guess when the others will, so
every task is polled on the regular cadence: all together, every ``interval`` seconds
(what ``sleep_interval``/``poll_interval`` always meant). Once tasks finish, the time
they took (from being added to being seen finished) says when the next ones will: a
task is first polled at ``LEAD`` x the expected time, then backing off: after
``interval / 4``, then twice as long each time up to ``interval``. A bulk job of
similar videos thus costs two or three polls per task instead of one per ``interval``,
and each is seen within a fraction of ``interval`` of finishing.

The expected time is the lower quartile of the last ``HISTORY`` durations: the short
tasks set the pace, and a longer one is polled at least every ``interval`` from then on
(two polls more than the regular cadence at most), so no task is seen later than the
regular cadence would have seen it.
Polling a little before the expected time keeps the estimate honest: a task found
finished at its first poll reports that shorter time, so the estimate shrinks until
first polls start finding tasks still at work.

Pure bookkeeping: every method is told the time (the poller passes its loop's clock),
so tests drive it with any clock they like.
"""

from __future__ import annotations

from collections import deque

import attrs

LEAD = 0.9
"""First poll at this fraction of the expected time."""
MIN_GAP_FRACTION = 0.25
"""After its first poll a task is polled again after this fraction of ``interval``,
then after twice the previous gap each time, up to ``interval``."""
HISTORY = 64
"""Durations remembered (the most recent)."""


@attrs.define
class _Watched:
    added: float
    due: float
    gap: float = 0.0
    """The last gap since its first poll near the expected time (0: none yet)."""


class PollSchedule:
    """The due time of each watched task, and the durations of those seen finishing.

    Args:
        interval: the regular cadence (seconds) and the longest gap between two polls of
            a task past its first poll.
    """

    def __init__(self, interval: float) -> None:
        if interval <= 0:
            raise ValueError("sleep_interval must be greater than 0")
        self.interval = interval
        self.min_gap = interval * MIN_GAP_FRACTION
        self._tasks: dict[str, _Watched] = {}
        self._durations: deque[float] = deque(maxlen=HISTORY)
        self._tick: float | None = None
        """When the next regular round is (tasks with no expected time join it)."""

    def __len__(self) -> int:
        return len(self._tasks)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._tasks

    @property
    def ids(self) -> list[str]:
        """The watched tasks, in the order they were added."""
        return list(self._tasks)

    def expected(self) -> float | None:
        """The time a task is expected to take (``None`` until one has finished)."""
        if not self._durations:
            return None
        ordered = sorted(self._durations)
        return ordered[(len(ordered) - 1) // 4]

    def add(self, task_id: str, now: float) -> float:
        """Watch ``task_id`` (again, from now); returns when it is first due."""
        self._tasks.pop(task_id, None)
        expected = self.expected()
        if expected is not None:
            due = now + max(LEAD * expected, self.min_gap)
        elif self._tick is not None and self._tick > now:
            due = self._tick
        else:
            due = now  # the first round (a waiter's first look) happens right away
        self._tasks[task_id] = _Watched(added=now, due=due)
        return due

    def discard(self, task_id: str) -> None:
        self._tasks.pop(task_id, None)

    def due(self, now: float) -> list[str]:
        """The tasks to poll in a round at ``now``: those due by then, plus those due
        within ``min_gap / 2`` after it (one round instead of a burst of small ones)."""
        horizon = now + self.min_gap / 2
        return [task_id for task_id, w in self._tasks.items() if w.due <= horizon]

    def next_due(self) -> float | None:
        """The earliest due time of a watched task (``None`` when none is watched)."""
        return min((w.due for w in self._tasks.values()), default=None)

    def finished(self, task_id: str, now: float) -> None:
        """``task_id`` was seen finished at ``now``: learn its duration, stop watching."""
        watched = self._tasks.pop(task_id, None)
        if watched is not None:
            self._durations.append(now - watched.added)

    def gone(self, task_id: str) -> None:
        """``task_id`` left without finishing (an error): nothing to learn from it."""
        self.discard(task_id)

    def still_running(self, task_id: str, now: float) -> float:
        """``task_id`` was polled at ``now`` and is not finished (or the poll failed and
        is worth repeating); returns when it is due next."""
        watched = self._tasks.get(task_id)
        if watched is None:
            raise KeyError(task_id)
        expected = self.expected()
        if expected is None:
            if self._tick is None or self._tick <= now:
                self._tick = now + self.interval
            watched.due = self._tick
            return watched.due
        first = watched.added + LEAD * expected
        if now < first - self.min_gap:
            watched.due = first  # polled on the regular cadence before anything finished
        else:
            watched.gap = min(2 * watched.gap, self.interval) if watched.gap else self.min_gap
            # from the time it was due: a round that took it a little early (see due())
            # must not shorten its gaps round after round
            watched.due = max(now, watched.due) + watched.gap
        return watched.due
