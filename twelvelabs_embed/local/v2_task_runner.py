"""Drives Embed API v2 tasks from ``processing`` to ``ready`` or ``failed``, in the background.

Like the v1 runner: consumer coroutines drain a queue of task ids, the store is the
source of truth (a restart re-queues every v2 task still ``processing``), a worker crash
is retried up to :data:`MAX_ATTEMPTS` times, a hang is not. A ``url`` source is
downloaded by :class:`~.downloads.Downloads` beside the queue, so a slow server holds
neither the create request nor a media worker. Failures carry the
platform's own ``error.message`` wording, with the engine's reason after it.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from .._aio import run_to_completion
from ..rules import embed_v2_limits as L
from .control.clock import EngineClock
from .control.lifecycle import Lifecycle
from .downloads import Downloads
from .executors.base import (
    ExecutorClosed,
    MediaExecutor,
    WorkerCrashed,
    WorkerTimedOut,
    retries_left,
)
from .media.task_job import JobRefused
from .media.v2_vectors import AvResult, combined_vector, embed_av
from .media_names import V2_SUFFIXES, needed, sweep, v1_download, v2_download
from .settings import EngineSettings, discard
from .task_queue import TaskQueue
from .url_fetch import FetchFailed
from .v2_store import DataTuple, V2TaskRecord, V2TaskStore
from .v2_work import av_spec, combined_spec, plan_from_json

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class V2TaskRunner:
    """Background processing of v2 tasks; ``start()`` / ``stop()``, ``submit(task_id)``.

    It is also the v2 :class:`~.control.lifecycle.TaskFamily`: the control plane's
    lifecycle (manual mode, delays, holds) applies to v2 tasks, and it fails, completes
    and counts them through this runner.
    """

    name = "v2"

    def __init__(
        self,
        settings: EngineSettings,
        store: V2TaskStore,
        executor: MediaExecutor,
        downloads: Downloads,
        clock: EngineClock,
        lifecycle: Lifecycle,
    ) -> None:
        self._lifecycle = lifecycle
        self._settings = settings
        self._clock = clock
        self._store = store
        self._executor = executor
        self._downloads = downloads
        self._stopping = False
        self._queue = TaskQueue()
        self.idle = self._queue.idle
        self._tasks: list[asyncio.Task[None]] = []

    async def adopt_legacy_downloads(self) -> int:
        """Give unfinished v2 tasks' finished downloads from before v2 had its own suffix
        (``<id>.download``, now a v1 name) their v2 name; call it before the v1 runner's
        sweep, which would take them for v1 orphans. Returns how many were renamed."""
        media_dir = self._settings.media_dir
        renamed = 0
        for task in await self._store.processing():
            old, new = v1_download(media_dir, task.id), v2_download(media_dir, task.id)
            if old.is_file() and not new.exists():
                old.rename(new)
                renamed += 1
        return renamed

    async def start(self) -> None:
        """Purge expired tasks, re-queue unfinished ones, remove v2's orphaned media
        files (only v2's names: v1 files sit in the same directory), start consumers."""
        await self.purge()
        unfinished = await self._store.processing()
        for task in unfinished:
            self.submit(task.id)
        keep = needed(V2_SUFFIXES, (t.id for t in unfinished), (t.media_path for t in unfinished))
        sweep(self._settings.media_dir, "v2", V2_SUFFIXES, keep)
        for i in range(max(1, self._settings.workers)):
            self._tasks.append(asyncio.create_task(self._consume(), name=f"tl-v2-consumer-{i}"))
        self._tasks.append(asyncio.create_task(self._purge_loop(), name="tl-v2-purger"))

    async def stop(self) -> None:
        self._stopping = True
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def submit(self, task_id: str) -> None:
        self._queue.submit(task_id)

    # --- the v2 task family, for the control plane ------------------------------------

    async def status_of(self, task_id: str) -> str | None:
        task = await self._store.get(task_id)
        return task.status if task else None

    async def force_fail(self, task_id: str, code: str, message: str) -> bool:
        """v2 failures carry only a message (the platform's shape); ``code`` is dropped."""
        return await self._store.mark_failed(self._clock.now_ms(), task_id, message)

    async def force_complete(self, task_id: str) -> str:
        await self._process(task_id, download_here=True)
        return await self.status_of(task_id) or "gone"

    async def counts(self) -> dict[str, int]:
        return await self._store.counts()

    def queue_length(self) -> int:
        return self._queue.qsize()

    async def delete_all(self) -> None:
        for path in await self._store.delete_all():
            discard(path)

    async def purge(self) -> int:
        cutoff = self._settings.retention_cutoff_ms(self._clock.now_ms())
        paths = await self._store.purge(cutoff)
        for p in paths:
            discard(p)
        return len(paths)

    async def _purge_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.purge_interval_sec)
            try:
                await self.purge()
            except Exception:
                log.exception("v2 retention purge failed")

    async def _consume(self) -> None:
        await self._queue.consume(self._lifecycle, self._process, self._fail_unexpectedly)

    async def _fail_unexpectedly(self, task_id: str) -> object:
        return await self._store.mark_failed(
            self._clock.now_ms(), task_id, "The embedding task failed. Please try again later."
        )

    async def _process(self, task_id: str, *, download_here: bool = False) -> None:
        task = await self._store.get(task_id)
        if task is None or task.status != "processing":
            return
        path = Path(task.media_path) if task.media_path else None
        download = None
        if task.input_url:
            download = path = v2_download(self._settings.media_dir, task.id)
            if not path.exists():
                if not download_here:
                    self._start_download(task.id, task.input_url, path)
                    return
                try:
                    await self._downloads.fetch(task.input_url, path)
                except FetchFailed as exc:
                    await self._fetch_failed(task.id, exc)
                    return
        try:
            if path is None or not path.exists():
                await self._store.mark_failed(self._clock.now_ms(), task.id, L.TASK_FAILED_FETCH)
                return
            await self._run(task, path)
        finally:
            # Finished even when the engine stops meanwhile (see the v1 runner).
            await run_to_completion(self._discard_unless_processing(task, download))

    async def _discard_unless_processing(self, task: V2TaskRecord, download: Path | None) -> None:
        current = await self._store.get(task.id)
        done = current is None or current.status != "processing"
        if download is not None and done:
            discard(download)  # kept while processing: a crashed job runs again from it
        if done and current is not None and task.media_path and task.media_owned:
            discard(task.media_path)
            await self._store.set_media(task.id, None)

    def _start_download(self, task_id: str, url: str, dest: Path) -> None:
        """The task comes back to the queue once its file is complete."""
        if self._stopping:
            return

        async def done(failure: FetchFailed | None) -> None:
            try:
                if failure is not None:
                    await self._fetch_failed(task_id, failure)
                elif not self._stopping:
                    self.submit(task_id)
            finally:
                self._queue.done_one()

        if self._downloads.start(url, dest, done):
            self._queue.hold()

    async def _fetch_failed(self, task_id: str, exc: FetchFailed) -> None:
        await self._store.mark_failed(
            self._clock.now_ms(), task_id, f"{L.TASK_FAILED_FETCH}: {exc.message}"
        )

    async def _run(self, task: V2TaskRecord, path: Path) -> None:
        req = plan_from_json(task.plan)
        timeout = self._settings.job_timeout_sec
        encoder = self._settings.encoder
        retries = retries_left(MAX_ATTEMPTS, task.attempts)
        try:
            if req.media is not None:
                result: AvResult = await self._executor.run(
                    embed_av, av_spec(req, path, encoder), timeout=timeout, retries=retries
                )
                rows: list[DataTuple] = [
                    (r.start_sec, r.end_sec, r.embedding_option, r.embedding_scope, r.vector)
                    for r in result.rows
                ]
                duration: float | None = result.duration
            else:  # an image task: one asset-scope visual vector
                spec = combined_spec(req, None, [("image", path)], encoder)
                vector = await self._executor.run(
                    combined_vector, spec, timeout=timeout, retries=retries
                )
                rows, duration = [(None, None, "visual", "asset", vector)], None
        except JobRefused as exc:
            await self._store.mark_failed(
                self._clock.now_ms(), task.id, f"{L.TASK_FAILED_MEDIA} ({exc.message})"
            )
        except ExecutorClosed:  # shutting down: the task stays `processing` for next time
            return
        except WorkerTimedOut as exc:
            await self._store.mark_failed(
                self._clock.now_ms(),
                task.id,
                f"The embedding task could not complete processing. ({exc})",
            )
        except WorkerCrashed as exc:
            attempts = await self._store.bump_attempts(task.id, exc.runs)
            if self._stopping:  # never start work again while the engine stops
                return
            if attempts >= MAX_ATTEMPTS:
                await self._store.mark_failed(
                    self._clock.now_ms(),
                    task.id,
                    f"{L.TASK_FAILED_MEDIA} (the worker crashed {attempts} times: {exc})",
                )
            else:
                log.warning("v2 task %s: worker crashed, re-queued (attempt %d)", task.id, attempts)
                self.submit(task.id)
        else:
            await self._store.mark_ready(self._clock.now_ms(), task.id, duration, rows)
