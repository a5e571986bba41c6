"""``client.embed.tasks``: the v1.3 video embedding task endpoints and their helpers."""

from __future__ import annotations

import asyncio
import builtins
import inspect
import logging
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import aclosing
from typing import Any, Literal, TypedDict

from .. import video_rules as rules
from .._aio import cancel_and_wait, gather_or_cancel
from .._preflight import check_create
from .._transport import Request, Transport
from .._upload import MultipartBody, UploadProgress, VideoFile, file_source, form_fields
from ..errors import (
    ApiConnectionError,
    RequestTimeoutError,
    ServerError,
    TooManyRequestsError,
    TwelveLabsError,
    WaitTimeoutError,
)
from ..jobs.models import ItemResult, JobProgress
from ..models import (
    BulkResult,
    TasksCreateResponse,
    TasksListResponse,
    TasksRetrieveResponse,
    TasksStatusResponse,
)
from ._base import RequestOptions, build_request, path_segment, send
from .pager import AsyncPager

log = logging.getLogger("twelvelabs_embed")

EmbeddingOption = Literal["visual", "audio", "transcription", "visual-text"]
EmbeddingScope = Literal["clip", "video"]
StatusCallback = Callable[[TasksStatusResponse], Awaitable[None] | None]
"""Called with each polled status; may be a plain function or a coroutine function."""

_TRANSIENT = (ApiConnectionError, ServerError, TooManyRequestsError, RequestTimeoutError)


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
    """Create video embedding tasks, watch them and fetch their embeddings."""

    def __init__(self, transport: Transport, *, preflight: bool = True) -> None:
        self._transport = transport
        self._preflight = preflight

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
        request = await self._create_request(
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
        return await send(self._transport, request, TasksCreateResponse)

    async def _create_request(
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
    ) -> Request:
        """Check the parameters (and probe the file), then build the replayable request.

        Separate from :meth:`create` so a bulk job can send it itself and read the
        response headers (``x-ratelimit-*``) that the parsed model does not keep.
        """
        scopes = (
            [video_embedding_scope]
            if isinstance(video_embedding_scope, str)
            else list(video_embedding_scope)
            if video_embedding_scope is not None
            else None
        )
        source = file_source(video_file) if video_file is not None and not video_url else None
        params = rules.CreateParams(
            model_name=model_name,
            video_url=video_url,
            has_file=source is not None,
            video_start_offset_sec=video_start_offset_sec,
            video_end_offset_sec=video_end_offset_sec,
            video_clip_length=video_clip_length,
            video_embedding_scope=tuple(scopes) if scopes is not None else None,
        )
        await check_create(params, source, probe=self._preflight)
        fields = form_fields(
            [
                ("model_name", model_name),
                ("video_url", video_url),
                ("video_start_offset_sec", video_start_offset_sec),
                ("video_end_offset_sec", video_end_offset_sec),
                ("video_clip_length", video_clip_length),
                ("video_embedding_scope", scopes),
            ]
        )
        body = MultipartBody(fields, "video_file" if source else None, source)
        return build_request(
            "POST",
            "embed/tasks",
            body=body,
            options=request_options,
            on_upload_progress=on_upload_progress,
        )

    async def status(
        self, task_id: str, *, request_options: RequestOptions | None = None
    ) -> TasksStatusResponse:
        """The task's current status and metadata (no segments)."""
        path = f"embed/tasks/{path_segment(task_id)}/status"
        return await send(
            self._transport,
            build_request("GET", path, options=request_options),
            TasksStatusResponse,
        )

    async def retrieve(
        self,
        task_id: str,
        *,
        embedding_option: Sequence[EmbeddingOption] | EmbeddingOption | None = None,
        request_options: RequestOptions | None = None,
    ) -> TasksRetrieveResponse:
        """The task with its segments; ``embedding_option`` keeps only those options."""
        options = [embedding_option] if isinstance(embedding_option, str) else embedding_option
        params = [("embedding_option", o) for o in options or ()]
        request = build_request(
            "GET", f"embed/tasks/{path_segment(task_id)}", params=params, options=request_options
        )
        return await send(self._transport, request, TasksRetrieveResponse)

    async def list(
        self,
        *,
        started_at: str | None = None,
        ended_at: str | None = None,
        status: str | None = None,
        page: int = 1,
        page_limit: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncPager:
        """Tasks, newest first (the last 7 days unless a range is given).

        Returns the first requested page; ``async for task in pager`` walks the rest.
        """
        filters = [
            (k, str(v))
            for k, v in (("started_at", started_at), ("ended_at", ended_at), ("status", status))
            if v is not None
        ]

        async def fetch(number: int) -> TasksListResponse:
            params = [*filters, ("page", str(number))]
            if page_limit is not None:
                params.append(("page_limit", str(page_limit)))
            request = build_request("GET", "embed/tasks", params=params, options=request_options)
            return await send(self._transport, request, TasksListResponse)

        return AsyncPager(await fetch(page), page, fetch)

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
        including the first. Transient failures (connection, 408, 429, 5xx) after the
        transport's own retries are logged and polling goes on; other errors raise.
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

        Each round polls every unfinished task (at most ``concurrency`` requests at
        once), then sleeps ``sleep_interval``. Same error and timeout rules as
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
        """``(task id as asked, final status)`` pairs: the one polling loop behind
        :meth:`as_completed` and :meth:`wait_for_many`."""
        if sleep_interval <= 0:
            raise ValueError("sleep_interval must be greater than 0")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        pending = list(dict.fromkeys(task_ids))
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        gate = asyncio.Semaphore(concurrency)
        last: dict[str, TasksStatusResponse] = {}

        async def poll(task_id: str) -> TasksStatusResponse | None:
            async with gate:
                try:
                    return await self.status(task_id, request_options=request_options)
                except _TRANSIENT as exc:
                    log.warning("polling task %s failed (%s); will poll again", task_id, exc)
                    return None

        first_round = True
        while pending:
            remaining = None if deadline is None else deadline - loop.time()
            if first_round and remaining is not None and remaining <= 0:
                remaining = None  # timeout=0 still looks once (bounded by the transport)
            first_round = False
            polls = {t: asyncio.ensure_future(poll(t)) for t in pending}
            try:
                done, late = await asyncio.wait(
                    polls.values(), timeout=remaining, return_when=asyncio.FIRST_EXCEPTION
                )
            except BaseException:
                await cancel_and_wait(polls.values())
                raise
            failed = next((p for p in done if p.exception() is not None), None)
            if late:
                await cancel_and_wait(late)
            if failed is not None:
                raise failed.exception()  # type: ignore[misc]
            finished = []
            for task_id, fut in polls.items():
                result = None if fut.cancelled() else fut.result()
                if result is None:
                    continue
                last[task_id] = result
                await _call(callback, result)
                if result.status in rules.TERMINAL_STATUSES:
                    finished.append(task_id)
                    yield task_id, result
            pending = [t for t in pending if t not in finished]
            if not pending:
                return
            remaining = None if deadline is None else deadline - loop.time()
            if late or (remaining is not None and remaining <= 0):
                raise self._timeout(pending[0], timeout, last)
            await asyncio.sleep(
                sleep_interval if remaining is None else min(sleep_interval, remaining)
            )

    @staticmethod
    def _timeout(
        task_id: str, timeout: float | None, last: Mapping[str, TasksStatusResponse]
    ) -> WaitTimeoutError:
        seen = last.get(task_id)
        state = seen.status if seen is not None else "unknown"
        return WaitTimeoutError(
            f"task {task_id} did not finish within {timeout} s (last status: {state})",
            task_id=task_id,
            last_status=seen,
        )

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

        async def one(index: int, item: Mapping[str, Any]) -> BulkResult:
            async with gate:
                try:
                    kwargs = dict(item)
                    name = kwargs.pop("model_name", model_name)
                    response = await self.create(name, **kwargs, request_options=request_options)
                    result = BulkResult(index, item, response=response)
                except (TwelveLabsError, OSError, ValueError, TypeError) as exc:
                    result = BulkResult(index, item, error=exc)
                # inside the gate: a callback that raises stops the batch before the next create
                await _call(on_result, result)
            return result

        return await gather_or_cancel(one(i, it) for i, it in enumerate(items))

    async def embed_many(
        self,
        inputs: Iterable[str | os.PathLike[str] | Mapping[str, Any]],
        *,
        model_name: str = rules.DEFAULT_MODEL,
        journal: str | os.PathLike[str] | None = None,
        out: str | os.PathLike[str] | None = None,
        concurrency: int = 4,
        poll_concurrency: int = 8,
        poll_interval: float = 5.0,
        video_clip_length: float | None = None,
        video_embedding_scope: Sequence[EmbeddingScope] | EmbeddingScope | None = None,
        video_start_offset_sec: float | None = None,
        video_end_offset_sec: float | None = None,
        embedding_option: Sequence[EmbeddingOption] | EmbeddingOption | None = None,
        max_attempts: int = 5,
        timeout: float | None = None,
        retry_failed: bool = False,
        on_progress: Callable[[JobProgress], Awaitable[None] | None] | None = None,
    ) -> builtins.list[ItemResult]:
        """Embed a whole library: create, wait and retrieve every input, resumably.

        Args:
            inputs: paths, directories (their video files, recursively), URLs, or dicts
                with ``video_file``/``video_url`` and per-item create parameters
                (``video_clip_length``, ``embedding_option``, ...) that win over these.
            journal: SQLite file recording every input's state. Run again with the same
                journal and finished inputs are skipped, created tasks are awaited (never
                uploaded twice), transient failures retried and permanent ones kept.
                ``None`` keeps it in memory (no resume).
            out: ``.jsonl``, ``.npz`` or ``.parquet`` (``parquet`` extra): every segment of
                the job with its provenance, float32. Rows are saved as each task ends.
            concurrency: uploads (creates) in flight; ``poll_concurrency``: status and
                retrieve requests in flight. One loop polls all tasks every ``poll_interval``.
            max_attempts: tries per input for transient errors (429s do not count: a 429
                pauses every create until the server's ``Retry-After``).
            timeout: seconds a task may stay processing before it fails (retryable).
            retry_failed: also retry the permanent failures a journal holds.
            on_progress: called with a :class:`JobProgress` after every state change.

        Returns:
            One :class:`ItemResult` per input, in input order; failures are results, not
            exceptions. Raises ``JournalBusyError`` if another job holds the journal.
        """
        items = self.iter_embed_many(
            inputs, model_name=model_name, journal=journal, out=out, concurrency=concurrency,
            poll_concurrency=poll_concurrency, poll_interval=poll_interval,
            video_clip_length=video_clip_length, video_embedding_scope=video_embedding_scope,
            video_start_offset_sec=video_start_offset_sec,
            video_end_offset_sec=video_end_offset_sec, embedding_option=embedding_option,
            max_attempts=max_attempts, timeout=timeout, retry_failed=retry_failed,
            on_progress=on_progress,
        )  # fmt: skip
        async with aclosing(items):
            found = [item async for item in items]
        return sorted(found, key=lambda item: item.index)

    async def iter_embed_many(
        self,
        inputs: Iterable[str | os.PathLike[str] | Mapping[str, Any]],
        *,
        model_name: str = rules.DEFAULT_MODEL,
        journal: str | os.PathLike[str] | None = None,
        out: str | os.PathLike[str] | None = None,
        concurrency: int = 4,
        poll_concurrency: int = 8,
        poll_interval: float = 5.0,
        video_clip_length: float | None = None,
        video_embedding_scope: Sequence[EmbeddingScope] | EmbeddingScope | None = None,
        video_start_offset_sec: float | None = None,
        video_end_offset_sec: float | None = None,
        embedding_option: Sequence[EmbeddingOption] | EmbeddingOption | None = None,
        max_attempts: int = 5,
        timeout: float | None = None,
        retry_failed: bool = False,
        on_progress: Callable[[JobProgress], Awaitable[None] | None] | None = None,
    ) -> AsyncGenerator[ItemResult, None]:
        """:meth:`embed_many`, yielding each :class:`ItemResult` as its input ends.

        Inputs finished by an earlier run come first (``resumed=True``). Close the
        iterator (``async with aclosing(...)``) if you stop early: that stops the job
        and writes the output for what is done.
        """
        from ..jobs.models import JobOptions
        from ..jobs.runner import run_job

        options = JobOptions(
            concurrency=concurrency,
            poll_concurrency=poll_concurrency,
            poll_interval=poll_interval,
            max_attempts=max_attempts,
            timeout=timeout,
            retry_failed=retry_failed,
        )
        defaults = {
            "model_name": model_name,
            "video_clip_length": video_clip_length,
            "video_embedding_scope": video_embedding_scope,
            "video_start_offset_sec": video_start_offset_sec,
            "video_end_offset_sec": video_end_offset_sec,
            "embedding_option": embedding_option,
        }
        job = run_job(
            self, list(inputs), defaults, journal=journal, out=out, options=options,
            on_progress=on_progress,
        )  # fmt: skip
        async with aclosing(job):
            async for item in job:
                yield item
