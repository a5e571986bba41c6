"""What the bulk helpers take and report: :class:`JobOptions` in; :class:`ItemResult`,
:class:`JobProgress` and :class:`BulkResult` out.

Data only: importing this module loads neither the job engine nor ``sqlite3``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import attrs

from ..video_rules import DEFAULT_MODEL
from .embed_tasks import EmbeddingMatrix, EmbeddingOption, EmbeddingScope, TasksCreateResponse

PathLike = str | os.PathLike[str]


def _at_least_one(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1")


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be greater than 0")


@attrs.frozen(kw_only=True)
class JobOptions:
    """Everything a bulk job (``embed_many``, ``iter_embed_many``, the CLI) can be told.

    The one definition of the job's knobs: the methods take them as keywords
    (:class:`JobOptionsDict`) or as one ``options=JobOptions(...)``.

    Attributes:
        model_name: the model every input is embedded with (an input mapping may override it).
        journal: SQLite file recording every input's state. Run again with the same journal
            and finished inputs are skipped, created tasks are awaited (never uploaded
            twice), transient failures retried and permanent ones kept. ``None`` keeps it in
            memory (no resume).
        out: ``.jsonl``, ``.npz`` or ``.parquet`` (``parquet`` extra): every segment of the
            job with its provenance, float32. Rows are saved as each task ends.
        concurrency: uploads (creates) in flight.
        poll_concurrency: status and retrieve requests in flight.
        poll_interval: seconds between two polls of a processing task (one loop); once
            tasks finish, each is first polled near the time they took.
        video_clip_length, video_embedding_scope, video_start_offset_sec,
            video_end_offset_sec: create parameters for every input (an input mapping's
            own values win).
        embedding_option: keep only these options when retrieving.
        max_attempts: tries per input for transient errors (429s do not count: a 429
            pauses every create until the server's ``Retry-After``).
        timeout: seconds a task may stay processing before it fails (retryable).
        retry_failed: also retry the permanent failures a journal holds.
        reconcile_window_sec: how far before a lost upload's recorded start a task may
            have been created (clock skew).
    """

    model_name: str = DEFAULT_MODEL
    journal: PathLike | None = None
    out: PathLike | None = None
    concurrency: int = attrs.field(default=4, validator=_at_least_one)
    poll_concurrency: int = attrs.field(default=8, validator=_at_least_one)
    poll_interval: float = attrs.field(default=5.0, validator=_positive)
    video_clip_length: float | None = None
    video_embedding_scope: Sequence[EmbeddingScope] | EmbeddingScope | None = None
    video_start_offset_sec: float | None = None
    video_end_offset_sec: float | None = None
    embedding_option: Sequence[EmbeddingOption] | EmbeddingOption | None = None
    max_attempts: int = attrs.field(default=5, validator=_at_least_one)
    timeout: float | None = None
    retry_failed: bool = False
    reconcile_window_sec: float = 60.0


class JobOptionsDict(TypedDict, total=False):
    """:class:`JobOptions` as keyword arguments (``**options: Unpack[JobOptionsDict]``).

    Only the typing view: the defaults, checks and docs live on :class:`JobOptions`, and a
    test keeps the two in step.
    """

    model_name: str
    journal: PathLike | None
    out: PathLike | None
    concurrency: int
    poll_concurrency: int
    poll_interval: float
    video_clip_length: float | None
    video_embedding_scope: Sequence[EmbeddingScope] | EmbeddingScope | None
    video_start_offset_sec: float | None
    video_end_offset_sec: float | None
    embedding_option: Sequence[EmbeddingOption] | EmbeddingOption | None
    max_attempts: int
    timeout: float | None
    retry_failed: bool
    reconcile_window_sec: float


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


@attrs.frozen
class BulkResult:
    """The outcome for one input of ``create_bulk``: exactly one of ``response``/``error``.

    ``index`` is the input's position, so a failure is never detached from its input.
    """

    index: int
    input: Any
    response: TasksCreateResponse | None = None
    error: BaseException | None = attrs.field(default=None, eq=False)

    @property
    def ok(self) -> bool:
        return self.error is None
