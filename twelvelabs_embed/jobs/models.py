"""What a bulk job reports: one :class:`ItemResult` per input, :class:`JobProgress` snapshots."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ..models import EmbeddingMatrix


@attrs.frozen
class JobOptions:
    """Knobs of one run; see ``AsyncTasksClient.embed_many`` for their meaning."""

    concurrency: int = 4
    poll_concurrency: int = 8
    poll_interval: float = 5.0
    max_attempts: int = 5
    timeout: float | None = None
    retry_failed: bool = False
    reconcile_window_sec: float = 60.0
    """How far before a lost upload's recorded start a task may have been created (clock skew)."""

    def __attrs_post_init__(self) -> None:
        if self.concurrency < 1 or self.poll_concurrency < 1 or self.max_attempts < 1:
            raise ValueError("concurrency, poll_concurrency and max_attempts must be at least 1")
        if self.poll_interval <= 0:
            raise ValueError("poll_interval must be greater than 0")


@attrs.frozen
class ItemResult:
    """How one input ended in this run.

    Attributes:
        source: the input as the caller gave it (path or URL).
        state: ``retrieved`` (its rows are in the output) or ``failed``.
        error_code: the platform's code (``video_duration_too_short``), or the client's
            (``file_not_found``, ``connection_error``, ``task_failed`` ...).
        error_message: the reason in one line, without the code (print both).
        retryable: a transient failure a re-run will try again; otherwise permanent.
        resumed: finished by an earlier run with the same journal (nothing was sent).
        embeddings: the vectors when retrieved in this run; ``None`` when resumed
            (read them from the output file) or failed.
    """

    index: int
    source: str
    key: str
    state: str
    task_id: str | None = None
    segments: int = 0
    dimension: int = 0
    duration: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool = False
    resumed: bool = False
    embeddings: EmbeddingMatrix | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.state == "retrieved"


@attrs.frozen
class JobProgress:
    """A snapshot of the whole job, handed to ``on_progress`` after every state change.

    ``video_minutes_per_minute`` and ``eta_sec`` count only work done in this run
    (``None`` until something has finished); the ETA is paced by successes only.
    """

    total: int
    counts: Mapping[str, int]
    done: int
    failed: int
    elapsed_sec: float
    video_sec: float
    finished_this_run: int
    rate_limited: int = 0
    upload_bytes_sent: int = 0
    upload_bytes_total: int = 0
    """Bytes sent and to send of the uploads in flight right now."""
    failed_this_run: int = 0
    """Inputs that failed in this run (they finish fast, so the ETA leaves them out)."""
    checking: int = 0
    """While a resumed job reconciles its journal: how many entries it is checking."""

    @property
    def video_minutes_per_minute(self) -> float | None:
        if self.elapsed_sec <= 0 or self.video_sec <= 0:
            return None
        return self.video_sec / self.elapsed_sec

    @property
    def eta_sec(self) -> float | None:
        succeeded = self.finished_this_run - self.failed_this_run
        if succeeded <= 0 or self.elapsed_sec <= 0:
            return None
        left = self.total - self.done
        return left * self.elapsed_sec / succeeded
