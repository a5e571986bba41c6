"""``client.embed.tasks``: the v1.3 video embedding task endpoints and their helpers.

Each endpoint method is a thin wrapper over its raw twin in
:mod:`.embed_tasks_raw` (``tasks.with_raw_response.create(...)``). The wait helpers share
the one poller (:mod:`._poller`); the bulk job (:mod:`twelvelabs_embed.jobs`) is imported
only when ``embed_many`` runs, so importing the client loads neither it nor ``sqlite3``.
"""

from __future__ import annotations

import asyncio
import builtins
import datetime as dt
import inspect
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import aclosing
from typing import Any, TypedDict

import attrs
from typing_extensions import Unpack

from .. import video_rules as rules
from .._aio import gather_or_cancel
from .._transport import Transport
from .._upload import UploadProgress, VideoFile
from ..errors import TwelveLabsError
from ..types.embed_tasks import (
    EmbeddingOption,
    EmbeddingScope,
    MediaEmbeddingTask,
    TasksCreateResponse,
    TasksListResponse,
    TasksRetrieveResponse,
    TasksStatusResponse,
)
from ..types.jobs import BulkResult, ItemResult, JobOptions, JobOptionsDict, JobProgress
from ._base import RequestOptions
from ._poller import TaskPoller
from .embed_tasks_raw import AsyncRawTasksClient
from .pager import AsyncPager

__all__ = [
    "AsyncTasksClient",
    "CreateEmbeddingsTaskVideoParams",
    "EmbeddingOption",
    "EmbeddingScope",
    "ProgressCallback",
    "StatusCallback",
]

StatusCallback = Callable[[TasksStatusResponse], Awaitable[None] | None]
"""Called with each polled status; may be a plain function or a coroutine function."""
ProgressCallback = Callable[[JobProgress], Awaitable[None] | None]
"""Called with a :class:`JobProgress` after every state change of a bulk job."""


DEFAULT_LIST_WINDOW = dt.timedelta(days=rules.RETENTION_DAYS)
"""The platform lists the last 7 days when no range is given."""


def _rfc3339(when: dt.datetime) -> str:
    """UTC, milliseconds, ``Z``: ``2026-03-01T12:00:00.123Z``."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    text = when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text[:-3] + "Z"


class CreateEmbeddingsTaskVideoParams(TypedDict, total=False):
    """One item for :meth:`AsyncTasksClient.create_bulk` (the official SDK's key names)."""

    model_name: str
    video_file: VideoFile
    video_url: str
    video_start_offset_sec: float
    video_end_offset_sec: float
    video_clip_length: float
    video_embedding_scope: Sequence[EmbeddingScope]


async def _call(callback: Callable[..., Any] | None, *args: Any) -> None:
    if callback is not None:
        result = callback(*args)
        if inspect.isawaitable(result):
            await result


class AsyncTasksClient:
    """Create video embedding tasks, watch them and fetch their embeddings.

    ``with_raw_response`` holds the raw twin of every endpoint method, answering with
    an :class:`~twelvelabs_embed.types.HttpResponse` (body, status, headers, attempts).
    """

    def __init__(self, transport: Transport, *, preflight: bool = True) -> None:
        self.with_raw_response = AsyncRawTasksClient(transport, preflight=preflight)

    async def create(
        self,
        model_name: str,
        *,
        video_file: VideoFile | None = None,
        video_url: str | None = None,
        video_start_offset_sec: float | None = None,
        video_end_offset_sec: float | None = None,
        video_clip_length: float | None = None,
        video_embedding_scope: Sequence[EmbeddingScope] | EmbeddingScope | None = None,
        on_upload_progress: UploadProgress | None = None,
        request_options: RequestOptions | None = None,
    ) -> TasksCreateResponse:
        """Start an embedding task for one video, from a file or a URL.

        Args:
            model_name: ``marengo3.0`` (512-d) or ``Marengo-retrieval-2.7`` (1024-d).
            video_file: a path, bytes, or a binary file object; streamed, never read whole.
            video_url: a direct http(s) link to a video file; wins over ``video_file``.
            video_start_offset_sec: with ``video_end_offset_sec``, the range to embed.
            video_clip_length: seconds per clip, 2 to 10 (platform default 6).
            video_embedding_scope: ``"clip"``, or ``["clip", "video"]`` for a whole-video vector too.
            on_upload_progress: ``callback(sent_bytes, total_bytes)`` as the file goes out.

        Raises:
            BadRequestError: a subclass per platform code, raised before upload by the
                preflight (``preflight=True``) or by the server.
            FileNotFoundError, PermissionError, IsADirectoryError: the path cannot be read.
            ApiConnectionError, ApiTimeoutError: no usable response after retries.
        """
        raw = await self.with_raw_response.create(
            model_name,
            video_file=video_file,
            video_url=video_url,
            video_start_offset_sec=video_start_offset_sec,
            video_end_offset_sec=video_end_offset_sec,
            video_clip_length=video_clip_length,
            video_embedding_scope=video_embedding_scope,
            on_upload_progress=on_upload_progress,
            request_options=request_options,
        )
        return raw.data

    async def status(
        self, task_id: str, *, request_options: RequestOptions | None = None
    ) -> TasksStatusResponse:
        """The task's current status and metadata (no segments)."""
        raw = await self.with_raw_response.status(task_id, request_options=request_options)
        return raw.data

    async def retrieve(
        self,
        task_id: str,
        *,
        embedding_option: Sequence[EmbeddingOption] | EmbeddingOption | None = None,
        request_options: RequestOptions | None = None,
    ) -> TasksRetrieveResponse:
        """The task with its segments; ``embedding_option`` keeps only those options."""
        raw = await self.with_raw_response.retrieve(
            task_id, embedding_option=embedding_option, request_options=request_options
        )
        return raw.data

    async def list(
        self,
        *,
        started_at: str | None = None,
        ended_at: str | None = None,
        status: str | None = None,
        page: int = 1,
        page_limit: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncPager[MediaEmbeddingTask]:
        """Tasks, newest first (the last 7 days unless a range is given).

        Returns the first requested page; ``async for task in pager`` walks the rest.
        Without an ``ended_at``, the pages after the first are asked for up to the newest
        task of the first page (and, without a ``started_at``, from 7 days before it), so
        tasks created during the walk neither repeat nor push others out of it.
        """
        window = {"started_at": started_at, "ended_at": ended_at}

        async def fetch(number: int) -> TasksListResponse:
            raw = await self.with_raw_response.list(
                **window,
                status=status,
                page=number,
                page_limit=page_limit,
                request_options=request_options,
            )
            return raw.data

        first = await fetch(page)
        newest = first.data[0].created_at if first.data else None
        if ended_at is None and newest is not None:
            window["ended_at"] = _rfc3339(newest)
            if started_at is None:
                window["started_at"] = _rfc3339(newest - DEFAULT_LIST_WINDOW)
        return AsyncPager(first, page, fetch)

    async def wait_for_done(
        self,
        task_id: str,
        *,
        sleep_interval: float = 5.0,
        timeout: float | None = None,
        callback: StatusCallback | None = None,
        request_options: RequestOptions | None = None,
    ) -> TasksStatusResponse:
        """Poll until the task is ``ready`` or ``failed`` and return that final status.

        The first poll happens at once and ``callback`` sees every successful poll,
        including the first. Errors worth retrying (connection, 408, 409, 429, 5xx, an
        unreadable body) after the transport's own retries are logged and polling goes
        on; other errors raise.
        A ``failed`` task is returned, not raised: check ``.status`` (and ``.error``).

        Raises:
            ValueError: ``sleep_interval`` is not positive.
            WaitTimeoutError: ``timeout`` seconds passed first (``last_status`` attached).
        """
        finals = self.as_completed(
            [task_id],
            sleep_interval=sleep_interval,
            timeout=timeout,
            callback=callback,
            request_options=request_options,
        )
        async with aclosing(finals):
            async for final in finals:
                return final
        raise AssertionError("as_completed ended without a result")  # pragma: no cover

    async def as_completed(
        self,
        task_ids: Iterable[str],
        *,
        sleep_interval: float = 5.0,
        timeout: float | None = None,
        concurrency: int = 8,
        callback: StatusCallback | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncGenerator[TasksStatusResponse, None]:
        """Yield each task's final status as it finishes, polling all of them in one loop.

        Unfinished tasks are polled every ``sleep_interval`` (at most ``concurrency``
        requests at once) until the first finishes; from then on each is first polled
        near the time the finished ones took (at most 4 x ``sleep_interval`` after it was
        added), then at least every ``sleep_interval``. Same
        error and timeout rules as
        :meth:`wait_for_done`; on timeout the error names the first unfinished task.
        """
        finals = self._finals(
            task_ids, sleep_interval, timeout, concurrency, callback, request_options
        )
        async with aclosing(finals):
            async for _task_id, final in finals:
                yield final

    async def _finals(
        self,
        task_ids: Iterable[str],
        sleep_interval: float,
        timeout: float | None,
        concurrency: int,
        callback: StatusCallback | None,
        request_options: RequestOptions | None,
    ) -> AsyncGenerator[tuple[str, TasksStatusResponse], None]:
        """``(task id as asked, final status)`` pairs, from the one poller."""

        async def fetch(task_id: str) -> TasksStatusResponse:
            return await self.status(task_id, request_options=request_options)

        poller = TaskPoller(
            fetch, sleep_interval=sleep_interval, concurrency=concurrency, timeout=timeout
        )
        for task_id in task_ids:
            poller.add(task_id)
        rounds = poller.rounds()
        async with aclosing(rounds):
            async for answers in rounds:
                failed = next((a.error for a in answers if a.error is not None), None)
                if failed is not None:
                    raise failed
                for answer in answers:
                    assert answer.status is not None
                    await _call(callback, answer.status)
                    if answer.status.done:
                        yield answer.task_id, answer.status

    async def wait_for_many(
        self,
        task_ids: Iterable[str],
        *,
        sleep_interval: float = 5.0,
        timeout: float | None = None,
        concurrency: int = 8,
        callback: StatusCallback | None = None,
        request_options: RequestOptions | None = None,
    ) -> builtins.list[TasksStatusResponse]:
        """Wait for every task; the final statuses come back in the order of ``task_ids``."""
        ids = list(task_ids)
        by_id: dict[str, TasksStatusResponse] = {}
        finals = self._finals(ids, sleep_interval, timeout, concurrency, callback, request_options)
        async with aclosing(finals):
            async for task_id, final in finals:
                by_id[task_id] = final
        return [by_id[t] for t in ids]

    async def create_bulk(
        self,
        videos: Iterable[CreateEmbeddingsTaskVideoParams | Mapping[str, Any]],
        *,
        model_name: str = rules.DEFAULT_MODEL,
        concurrency: int = 4,
        on_result: Callable[[BulkResult], Awaitable[None] | None] | None = None,
        request_options: RequestOptions | None = None,
    ) -> builtins.list[BulkResult]:
        """Create one task per item, at most ``concurrency`` at once.

        Returns one :class:`BulkResult` per input, in input order, each holding the
        response or the exception; nothing is printed or swallowed. ``on_result`` is
        called as each item finishes. Cancellation stops the whole batch.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        items = list(videos)
        gate = asyncio.Semaphore(concurrency)
        stopping = False

        async def one(index: int, item: Mapping[str, Any]) -> BulkResult:
            nonlocal stopping
            async with gate:
                if stopping:  # a callback raised: start no create; the batch cancels this
                    await asyncio.get_running_loop().create_future()
                try:
                    kwargs = dict(item)
                    name = kwargs.pop("model_name", model_name)
                    response = await self.create(name, **kwargs, request_options=request_options)
                    result = BulkResult(index, item, response=response)
                except (TwelveLabsError, OSError, ValueError, TypeError) as exc:
                    result = BulkResult(index, item, error=exc)
                # inside the gate: a callback that raises stops the batch before the next create
                try:
                    await _call(on_result, result)
                except BaseException:
                    stopping = True
                    raise
            return result

        return await gather_or_cancel(one(i, it) for i, it in enumerate(items))

    async def embed_many(
        self,
        inputs: Iterable[str | os.PathLike[str] | Mapping[str, Any]],
        *,
        options: JobOptions | None = None,
        on_progress: ProgressCallback | None = None,
        **overrides: Unpack[JobOptionsDict],
    ) -> builtins.list[ItemResult]:
        """Embed a whole library: create, wait and retrieve every input, resumably.

        Args:
            inputs: paths, directories (their video files, recursively), URLs, or dicts
                with ``video_file``/``video_url`` and per-item create parameters
                (``video_clip_length``, ``embedding_option``, ...) that win over these.
            options: a :class:`JobOptions`; keyword arguments named as its fields
                (``journal=``, ``out=``, ``concurrency=``, ``max_attempts=`` ...) override
                it. See :class:`JobOptions` for what each one does.
            on_progress: called with a :class:`JobProgress` after every state change.

        Returns:
            One :class:`ItemResult` per input, in input order; failures are results, not
            exceptions. Raises ``JournalBusyError`` if another job holds the journal.
        """
        items = self.iter_embed_many(inputs, options=options, on_progress=on_progress, **overrides)
        async with aclosing(items):
            found = [item async for item in items]
        return sorted(found, key=lambda item: item.index)

    async def iter_embed_many(
        self,
        inputs: Iterable[str | os.PathLike[str] | Mapping[str, Any]],
        *,
        options: JobOptions | None = None,
        on_progress: ProgressCallback | None = None,
        **overrides: Unpack[JobOptionsDict],
    ) -> AsyncGenerator[ItemResult, None]:
        """:meth:`embed_many`, yielding each :class:`ItemResult` as its input ends.

        Inputs finished by an earlier run come first (``resumed=True``). Close the
        iterator if you stop early: that stops the job and writes the output for what
        is done.
        """
        from ..jobs.runner import run_job  # here: importing the client loads no jobs/sqlite3

        settings = attrs.evolve(options or JobOptions(), **overrides)
        poller = TaskPoller(
            self.status,
            sleep_interval=settings.poll_interval,
            concurrency=settings.poll_concurrency,
            keep_running=True,
        )
        job = run_job(self, list(inputs), settings, poller, on_progress=on_progress)
        async with aclosing(job):
            async for item in job:
                yield item
