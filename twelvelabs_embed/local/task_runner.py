"""Turns ``processing`` tasks into ``ready`` or ``failed`` ones, in the background.

A fixed number of consumer coroutines (one per media worker) drain a queue of task ids
and run ``media.task_job.embed_task`` on the media executor. A ``video_url`` is fetched
first, *outside* that queue: a consumer hands the task to :class:`~.downloads.Downloads`
and moves on, and the finished download puts the task back in the queue. So a URL that drips a byte
every few seconds holds one download slot, never a media worker. The store is the source
of truth: the queue only holds ids, so a restart simply re-queues every task still
``processing``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from .. import video_rules
from .._aio import run_to_completion
from . import media_names
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
from .media.task_job import JobRefused, JobSpec, embed_task
from .media_names import sweep
from .settings import EngineSettings, discard
from .store import TaskRecord, TaskStore
from .task_queue import TaskQueue
from .url_fetch import FetchFailed

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
"""A task whose worker crashed this many times is failed instead of re-queued; the
executor's own re-runs (Ray's) count against it (``retries_left``)."""


class TaskRunner:
    """Background processing of v1 tasks; start with ``start()``, stop with ``stop()``.

    It is also the v1 :class:`~.control.lifecycle.TaskFamily`: the control plane fails,
    completes and counts v1 tasks through it. ``on_ready`` (if set) hears the video
    length of every task that becomes ready (the duration rate limit's charge).
    """

    name = "v1"

    def __init__(
        self,
        settings: EngineSettings,
        store: TaskStore,
        executor: MediaExecutor,
        downloads: Downloads,
        clock: EngineClock,
        lifecycle: Lifecycle,
    ) -> None:
        self._settings = settings
        self._store = store
        self._executor = executor
        self._downloads = downloads
        self._clock = clock
        self._lifecycle = lifecycle
        self.on_ready: Callable[[TaskRecord, float], None] | None = None
        self._queue = TaskQueue()
        self.idle = self._queue.idle
        self._consumers: list[asyncio.Task[None]] = []
        self._purger: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        """Purge expired tasks, re-queue unfinished ones, remove orphaned media files,
        start consumers and the purger."""
        await self.purge()
        unfinished = await self._store.processing()
        for task in unfinished:
            self.submit(task.id)
        self._sweep_orphans(unfinished)
        for i in range(max(1, self._settings.workers)):
            self._consumers.append(asyncio.create_task(self._consume(), name=f"tl-consumer-{i}"))
        self._purger = asyncio.create_task(self._purge_loop(), name="tl-purger")

    async def stop(self) -> None:
        self._stopping = True
        tasks = [*self._consumers, *([self._purger] if self._purger else [])]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._consumers.clear()
        self._purger = None

    def submit(self, task_id: str) -> None:
        self._queue.submit(task_id)

    # --- the v1 task family, for the control plane ------------------------------------

    async def status_of(self, task_id: str) -> str | None:
        task = await self._store.get(task_id)
        return task.status if task else None

    async def force_fail(self, task_id: str, code: str, message: str) -> bool:
        return await self._store.mark_failed(task_id, code, message, at_ms=self._clock.now_ms())

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
        """Delete tasks past the retention period and their media files."""
        cutoff = self._settings.retention_cutoff_ms(self._clock.now_ms())
        paths = await self._store.purge(cutoff)
        for p in paths:
            discard(p)
        if paths:
            log.info("purged %d expired task file(s)", len(paths))
        return len(paths)

    def _sweep_orphans(self, unfinished: list[TaskRecord]) -> None:
        """Remove v1 media files no unfinished v1 task owns: an upload cut off by a
        crash (its task was never stored), a download cut off by one, a finished task's
        file a crash kept from being removed, a sync ``/embed`` request's leftovers.
        Only v1's own names: v2 files sit in the same directory."""
        sweep(
            self._settings.media_dir,
            "v1",
            media_names.V1_SUFFIXES,
            media_names.needed(
                media_names.V1_SUFFIXES,
                (t.id for t in unfinished),
                (t.media_path for t in unfinished),
            ),
            prefixes=(media_names.V1_SYNC_PREFIX,),
        )

    async def _purge_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.purge_interval_sec)
            try:
                await self.purge()
            except Exception:  # keep purging later; never kill the loop
                log.exception("retention purge failed")

    async def _consume(self) -> None:
        await self._queue.consume(self._lifecycle, self._process, self._fail_unexpectedly)

    async def _fail_unexpectedly(self, task_id: str) -> bool:
        return await self._store.mark_failed(
            task_id,
            "internal_error",
            "The engine failed while processing the video.",
            at_ms=self._clock.now_ms(),
        )

    async def _process(self, task_id: str, *, download_here: bool = False) -> None:
        task = await self._store.get(task_id)
        if task is None or task.status != "processing":
            return
        path = Path(task.media_path) if task.media_path else None
        if task.input_url:
            path = self._download_path(task.id)
            if not path.exists():
                if download_here:
                    await self._download(task)
                else:
                    self._start_download(task)
                    return
            if not path.exists():  # the download failed, and said why on the task
                return
        if path is None or not path.exists():
            v = video_rules.file_broken("The uploaded file is no longer available.")
            await self._fail(task.id, v.code, v.message)
            return
        try:
            await self._run(task, path)
        finally:
            # Finished even when the engine stops meanwhile: a task that became ready
            # just before would otherwise keep its upload on disk for good.
            await run_to_completion(self._discard_unless_processing(task.id, path))

    async def _discard_unless_processing(self, task_id: str, path: Path) -> None:
        current = await self._store.get(task_id)
        if current is None or current.status != "processing":
            discard(path)  # kept while processing: a crashed job runs again from it

    def _download_path(self, task_id: str) -> Path:
        return media_names.v1_download(self._settings.media_dir, task_id)

    def _start_download(self, task: TaskRecord) -> None:
        """Fetch a URL task's video beside the media queue; the task comes back to the
        queue when its file is there."""
        assert task.input_url is not None
        if self._stopping:
            return

        async def done(failure: FetchFailed | None) -> None:
            try:
                if failure is not None:
                    await self._fail(task.id, failure.code, failure.message)
                elif not self._stopping:
                    self.submit(task.id)
            finally:
                self._queue.done_one()

        if self._downloads.start(task.input_url, self._download_path(task.id), done):
            self._queue.hold()

    async def _download(self, task: TaskRecord) -> None:
        """Download now, in this coroutine (``force_complete``); a failure fails the task."""
        assert task.input_url is not None
        try:
            await self._downloads.fetch(task.input_url, self._download_path(task.id))
        except FetchFailed as exc:
            await self._fail(task.id, exc.code, exc.message)

    async def _run(self, task: TaskRecord, path: Path) -> None:
        spec = JobSpec(
            path=str(path),
            model_name=task.model_name,
            start=task.start_offset,
            end=task.end_offset,
            clip_length=task.video_clip_length,
            scopes=task.scopes,
            encoder=self._settings.encoder,
            # an upload was probed and checked at create; a download was not
            duration=None if task.input_url else task.duration,
        )
        try:
            result = await self._executor.run(
                embed_task,
                spec,
                timeout=self._settings.job_timeout_sec,
                retries=retries_left(MAX_ATTEMPTS, task.attempts),
            )
        except JobRefused as exc:
            await self._fail(task.id, exc.code, exc.message)
        except ExecutorClosed:  # shutting down: the task stays `processing` for next time
            return
        except WorkerTimedOut as exc:  # a hang is no accident: do not try again
            v = video_rules.file_broken(f"Processing this video stopped responding ({exc}).")
            await self._fail(task.id, v.code, v.message)
        except WorkerCrashed as exc:
            attempts = await self._store.bump_attempts(task.id, exc.runs)
            if self._stopping:  # never start work again while the engine stops
                return
            if attempts >= MAX_ATTEMPTS:
                v = video_rules.file_broken(
                    f"The worker decoding this video crashed {attempts} times ({exc})."
                )
                await self._fail(task.id, v.code, v.message)
            else:
                log.warning("task %s: worker crashed, re-queued (attempt %d)", task.id, attempts)
                self.submit(task.id)
        else:
            stored = await self._store.mark_ready(
                task.id,
                result.duration,
                result.options,
                result.segments,
                at_ms=self._clock.now_ms(),
            )
            if stored and self.on_ready is not None:
                self.on_ready(task, result.duration)

    async def _fail(self, task_id: str, code: str, message: str) -> None:
        await self._store.mark_failed(task_id, code, message, at_ms=self._clock.now_ms())
