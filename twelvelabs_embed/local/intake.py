"""Taking in a new v1 task: its id, the checks its upload must pass, the stored record.

The create handler only parses the form and renders the answer; everything between
(parameter rules, the upload's probe and media rules, the insert, queueing it for the
task runner) happens here, so other entry points can reuse it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path

import attrs

from .. import video_rules
from .control.clock import EngineClock
from .executors.base import ExecutorClosed, MediaExecutor, WorkerCrashed, WorkerTimedOut
from .http.problems import ApiProblem, from_violations
from .media.task_job import JobRefused, JobSpec, check_media, probe
from .media_names import v1_upload
from .settings import EngineSettings, discard
from .store import TaskRecord, TaskStore
from .task_runner import TaskRunner


@attrs.frozen
class CreateForm:
    """The create form, parsed: parameters, and where the uploaded video was saved."""

    params: video_rules.CreateParams
    file_path: Path | None = None
    file_size: int = 0
    input_filename: str | None = None
    sha256: str | None = None
    fields: Mapping[str, str] = attrs.field(factory=dict)
    """The text fields as sent (for the request log)."""


def new_task_id(now_ms: int) -> str:
    """24 hex characters like the platform's ids: 4 bytes of time, 8 random bytes."""
    return f"{(now_ms // 1000) & 0xFFFFFFFF:08x}{secrets.token_hex(8)}"


class TaskIntake:
    """Checks and stores new tasks, then hands them to the task runner."""

    def __init__(
        self,
        settings: EngineSettings,
        store: TaskStore,
        prober: MediaExecutor,
        runner: TaskRunner,
        clock: EngineClock,
    ) -> None:
        self._clock = clock
        self._settings = settings
        self._store = store
        self._prober = prober
        self._runner = runner

    def new_task_id(self) -> str:
        return new_task_id(self._clock.now_ms())

    def upload_path(self, task_id: str) -> Path:
        """Where the create form's video is written while the request is read."""
        return v1_upload(self._settings.media_dir, task_id)

    async def accept(self, task_id: str, form: CreateForm) -> TaskRecord:
        """Check the form and its upload, store the task as ``processing``, queue it.

        Raises:
            ApiProblem: the platform's refusal; the upload is removed.
        """
        upload = self.upload_path(task_id)
        try:
            record = await self._record(task_id, form)
            await self._store.insert(record)
        except BaseException:
            discard(upload)
            raise
        self._runner.submit(task_id)
        return record

    async def _record(self, task_id: str, form: CreateForm) -> TaskRecord:
        p = form.params
        violations = video_rules.check_create_params(p)
        if violations:
            raise from_violations(violations)
        scopes = video_rules.normalise_scopes(p.video_embedding_scope)
        duration = None
        if form.file_path is not None:
            violations = video_rules.check_file_size(form.file_size, self._settings.max_file_size)
            if violations:
                raise from_violations(violations)
            spec = JobSpec(
                str(form.file_path),
                p.model_name or "",
                p.video_start_offset_sec,
                p.video_end_offset_sec,
                p.video_clip_length,
                scopes,
            )
            duration = await self._check_upload(spec)
        created = self._clock.now_ms()
        return TaskRecord(
            id=task_id,
            model_name=p.model_name or "",
            status="processing",
            created_ms=created,
            updated_ms=created,
            input_url=p.video_url or None,
            input_filename=(form.input_filename or "upload") if form.file_path else None,
            video_clip_length=p.video_clip_length,
            start_offset=p.video_start_offset_sec,
            end_offset=p.video_end_offset_sec,
            scopes=scopes,
            duration=duration,
            media_path=str(form.file_path) if form.file_path else None,
        )

    async def _check_upload(self, spec: JobSpec) -> float | None:
        """Probe the upload and apply the media rules; returns its duration."""
        try:
            facts = await self._probe(spec.path)
            check_media(spec, facts)
        except JobRefused as exc:
            raise ApiProblem(400, exc.code, exc.message) from exc
        except ExecutorClosed as exc:
            raise ApiProblem(
                503, "service_unavailable", "The engine is shutting down; try again later."
            ) from exc
        except WorkerCrashed as exc:
            why = "stopped responding" if isinstance(exc, WorkerTimedOut) else "crashed"
            v = video_rules.file_broken(f"Decoding the file {why} in the prober.")
            raise ApiProblem.of(v) from exc
        return facts.duration

    async def _probe(self, path: str) -> video_rules.VideoFacts:
        """Probe in the prober process. One crash is retried: the prober may have died
        for a reason that is not this file (killed, or racing a previous crash); a
        second crash is the file's doing."""
        timeout = self._settings.probe_timeout_sec
        try:
            return await self._prober.run(probe, path, timeout=timeout)
        except (WorkerTimedOut, ExecutorClosed):
            raise  # a probe that hangs will hang again; a closed prober stays closed
        except WorkerCrashed:
            return await self._prober.run(probe, path, timeout=timeout)
