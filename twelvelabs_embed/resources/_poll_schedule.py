"""When to poll each watched task next: near when it should finish, then backing off.

Until some task of the poller has finished, nobody can guess when the others will, so
every task is polled on the regular cadence: every ``interval`` seconds (what
``sleep_interval``/``poll_interval`` always meant), counted from when it was added (a
task added at start is looked at once right away: a waiter's first look). Once tasks finish, the time
they took (from being added to being seen finished) says when the next ones will: a
task is first polled at ``LEAD`` x the expected time (but never more than
``MAX_WAIT_INTERVALS`` x ``interval`` after it was added or last polled), then backing off: after ``interval / 4``, then
twice as long each time up to ``interval``. A bulk job of
similar videos thus costs two or three polls per task instead of one per ``interval``,
and each is seen within a fraction of ``interval`` of finishing.

The expected time is the lower quartile of the last ``HISTORY`` durations: the short
tasks set the pace, and a longer one is polled at least every ``interval`` from then on
(two polls more than the regular cadence at most). A short task after long ones is the
exception: the estimate says to wait, and it is seen at most ``MAX_WAIT_INTERVALS`` x
``interval`` after it finished.
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
MAX_WAIT_INTERVALS = 4
"""The longest wait for a first poll, in intervals, however long tasks have taken: a
short task after long ones is not left until the long ones' time."""
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
        self.max_wait = interval * MAX_WAIT_INTERVALS
        self._tasks: dict[str, _Watched] = {}
        self._durations: deque[float] = deque(maxlen=HISTORY)

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

    def add(self, task_id: str, now: float, *, look_now: bool = False) -> float:
        """Watch ``task_id`` (again, from now); returns when it is first due.

        ``look_now``: poll it at once (a waiter's first look at a task that may be done
        already), instead of when it may have finished (a task just created).
        """
        self._tasks.pop(task_id, None)
        expected = self.expected()
        if look_now:
            due = now
        elif expected is not None:
            due = now + min(max(LEAD * expected, self.min_gap), self.max_wait)
        else:
            due = now + self.interval
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
            watched.due = max(now, watched.due) + self.interval
            return watched.due
        first = watched.added + LEAD * expected
        if now < first - self.min_gap:
            # before its expected time: there, or after the longest wait if that is sooner
            watched.due = min(first, max(now, watched.due) + self.max_wait)
        else:
            watched.gap = min(2 * watched.gap, self.interval) if watched.gap else self.min_gap
            # from the time it was due: a round that took it a little early (see due())
            # must not shorten its gaps round after round
            watched.due = max(now, watched.due) + watched.gap
        return watched.due
