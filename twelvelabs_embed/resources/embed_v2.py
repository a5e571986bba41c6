"""``client.embed.v_2``: the Embed API v2, with the official SDK's names.

``v_2.create(...)`` embeds text, images, audio, video or a combination and answers at
once; ``v_2.tasks.create / retrieve / list`` run long audio and video as tasks (one
retrieve gives the status and, once ``ready``, the vectors). Beyond the official SDK:
``wait_for_done``, ``as_completed`` and ``wait_for_many`` on the one poller
(:mod:`._poller`), local files as media sources (see :mod:`.media_sources`), and
``to_numpy()`` on every result. Each endpoint method wraps its raw twin in
:mod:`.embed_v2_raw` (``with_raw_response``).

Inputs are the attrs request classes (``VideoInputRequest(media_source=MediaSource(url=...))``)
or plain dicts in wire form (``{"media_source": {"url": ...}}``).
"""

from __future__ import annotations

import builtins
import inspect
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from contextlib import aclosing
from typing import Any

import attrs
from typing_extensions import Unpack

from .._transport import Transport
from .._upload import UploadProgress
from ..types.embed_tasks import MediaEmbeddingTask, TasksListResponse, TasksStatusResponse
from ..types.embed_v2 import EmbeddingSuccessResponse, EmbeddingTaskResponse
from ..types.embed_v2 import TasksCreateResponse as EmbeddingTasksCreateResponse
from ..types.jobs import ItemResult, JobOptions, JobOptionsDict
from ._base import RequestOptions
from ._poller import TaskPoller
from .embed_tasks import ProgressCallback
from .embed_v2_raw import AsyncRawV2Client, AsyncRawV2TasksClient
from .media_sources import AssetUpload, MediaSourceCallback
from .pager import AsyncPager

__all__ = ["AsyncV2Client", "AsyncV2TasksClient", "V2StatusCallback"]

V2StatusCallback = Callable[[EmbeddingTaskResponse], Awaitable[None] | None]
"""Called with each polled task; a plain function or a coroutine function."""


async def _call(callback: Callable[..., Any] | None, *args: Any) -> None:
    if callback is not None:
        result = callback(*args)
        if inspect.isawaitable(result):
            await result


class AsyncV2TasksClient:
    """Embed API v2 tasks: create, retrieve (status and vectors), list, and wait."""

    def __init__(self, transport: Transport, *, upload: AssetUpload | None = None) -> None:
        self.with_raw_response = AsyncRawV2TasksClient(transport, upload=upload)

    async def create(
        self,
        *,
        input_type: str,
        model_name: str,
        embedding_uncertainty: bool | None = None,
        embedding_dimension: int | None = None,
        audio: Any = None,
        video: Any = None,
        document: Any = None,
        image: Any = None,
        on_media_source: MediaSourceCallback | None = None,
        on_upload_progress: UploadProgress | None = None,
        request_options: RequestOptions | None = None,
    ) -> EmbeddingTasksCreateResponse:
        """Start a task for audio or video (Marengo 3.5: also an image or a document).

        Args:
            input_type: ``audio``, ``video`` (and on ``marengo3.5``: ``image``, ``document``).
            model_name: ``marengo3.0`` or ``marengo3.5``.
            embedding_dimension: ``marengo3.5`` only: 128, 256 or 512 (default 512).
            audio, video, document, image: the input named by ``input_type``
                (``AsyncVideoInputRequest`` etc., or a dict); its ``media_source`` may be
                a local path (sent as base64 within the allowance).
            on_media_source: told how each local file was sent (base64 or asset).
            on_upload_progress: ``callback(sent_bytes, total_bytes)`` as the body goes out.

        Returns:
            The task, ``processing``; poll it with :meth:`wait_for_done`.

        Raises:
            BadRequestError: a subclass per code; before sending (``preflight=True``) for
                what the rules can tell, else from the server.
            FileTooLargeForBase64Error: a local file over the base64 allowance.
        """
        raw = await self.with_raw_response.create(
            input_type=input_type,
            model_name=model_name,
            embedding_uncertainty=embedding_uncertainty,
            embedding_dimension=embedding_dimension,
            audio=audio,
            video=video,
            document=document,
            image=image,
            on_media_source=on_media_source,
            on_upload_progress=on_upload_progress,
            request_options=request_options,
        )
        return raw.data

    async def retrieve(
        self, task_id: str, *, request_options: RequestOptions | None = None
    ) -> EmbeddingTaskResponse:
        """The task: ``status``, and ``data`` (the vectors) once it is ``ready``."""
        raw = await self.with_raw_response.retrieve(task_id, request_options=request_options)
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
        """v2 tasks, newest first (the last 7 days unless a range is given); no vectors.

        Returns the first requested page; ``async for task in pager`` walks the rest.
        """

        async def fetch(number: int) -> TasksListResponse:
            raw = await self.with_raw_response.list(
                started_at=started_at,
                ended_at=ended_at,
                status=status,
                page=number,
                page_limit=page_limit,
                request_options=request_options,
            )
            return raw.data

        return AsyncPager(await fetch(page), page, fetch)

    async def wait_for_done(
        self,
        task_id: str,
        *,
        sleep_interval: float = 5.0,
        timeout: float | None = None,
        callback: V2StatusCallback | None = None,
        request_options: RequestOptions | None = None,
    ) -> EmbeddingTaskResponse:
        """Poll until the task is ``ready`` or ``failed``; return it (with its vectors).

        The official SDK has no waiting helper for v2. Same rules as the v1
        ``wait_for_done``: the first poll is immediate, ``callback`` sees every poll,
        errors worth retrying are logged and polling goes on, a ``failed`` task is
        returned (check ``.status`` and ``.error``).

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
        callback: V2StatusCallback | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncGenerator[EmbeddingTaskResponse, None]:
        """Yield each task as it finishes, polling all of them in one loop."""
        finals = self._finals(
            task_ids, sleep_interval, timeout, concurrency, callback, request_options
        )
        async with aclosing(finals):
            async for _task_id, final in finals:
                yield final

    async def wait_for_many(
        self,
        task_ids: Iterable[str],
        *,
        sleep_interval: float = 5.0,
        timeout: float | None = None,
        concurrency: int = 8,
        callback: V2StatusCallback | None = None,
        request_options: RequestOptions | None = None,
    ) -> builtins.list[EmbeddingTaskResponse]:
        """Wait for every task; the final tasks come back in the order of ``task_ids``."""
        ids = list(task_ids)
        by_id: dict[str, EmbeddingTaskResponse] = {}
        finals = self._finals(ids, sleep_interval, timeout, concurrency, callback, request_options)
        async with aclosing(finals):
            async for task_id, final in finals:
                by_id[task_id] = final
        return [by_id[t] for t in ids]

    async def _finals(
        self,
        task_ids: Iterable[str],
        sleep_interval: float,
        timeout: float | None,
        concurrency: int,
        callback: V2StatusCallback | None,
        request_options: RequestOptions | None,
    ) -> AsyncGenerator[tuple[str, EmbeddingTaskResponse], None]:
        async def fetch(task_id: str) -> EmbeddingTaskResponse:
            return await self.retrieve(task_id, request_options=request_options)

        poller: TaskPoller[EmbeddingTaskResponse] = TaskPoller(
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

    async def embed_many(
        self,
        inputs: Iterable[str | os.PathLike[str] | Mapping[str, Any]],
        *,
        options: JobOptions | None = None,
        on_progress: ProgressCallback | None = None,
        **overrides: Unpack[JobOptionsDict],
    ) -> builtins.list[ItemResult]:
        """The bulk job of ``embed.tasks.embed_many``, on the Embed API v2.

        Same inputs, options, journal, outputs and rows (v2 ``asset`` rows are written
        with scope ``video``); ``video_clip_length`` becomes fixed segmentation of that
        many whole seconds. Local files go as base64, so each must be within 36 MB until
        the client can upload assets. Use one journal per API.
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
        """:meth:`embed_many`, yielding each :class:`ItemResult` as its input ends."""
        from ..jobs.runner import run_job  # here: importing the client loads no jobs/sqlite3
        from .embed_v2_jobs import V2JobTasks

        settings = attrs.evolve(options or JobOptions(), **overrides)
        tasks = V2JobTasks(self)
        poller: TaskPoller[TasksStatusResponse] = TaskPoller(
            tasks.status,
            sleep_interval=settings.poll_interval,
            concurrency=settings.poll_concurrency,
            keep_running=True,
        )
        job = run_job(tasks, list(inputs), settings, poller, on_progress=on_progress)
        async with aclosing(job):
            async for item in job:
                yield item


class AsyncV2Client:
    """``client.embed.v_2``: sync embeddings (:meth:`create`) and :attr:`tasks`."""

    def __init__(self, transport: Transport, *, upload: AssetUpload | None = None) -> None:
        self.with_raw_response = AsyncRawV2Client(transport, upload=upload)
        self.tasks = AsyncV2TasksClient(transport, upload=upload)

    async def create(
        self,
        *,
        input_type: str,
        model_name: str,
        auto_truncate: bool | None = None,
        embedding_uncertainty: bool | None = None,
        embedding_dimension: int | None = None,
        text: Any = None,
        image: Any = None,
        text_image: Any = None,
        audio: Any = None,
        video: Any = None,
        multi_input: Any = None,
        on_media_source: MediaSourceCallback | None = None,
        on_upload_progress: UploadProgress | None = None,
        request_options: RequestOptions | None = None,
    ) -> EmbeddingSuccessResponse:
        """Embeddings now: text, an image, text with an image, audio or video (up to 10
        minutes on ``marengo3.0``), or a ``multi_input`` combination.

        Args:
            input_type: ``text``, ``image``, ``text_image``, ``audio``, ``video`` or
                ``multi_input`` (``marengo3.5`` takes only ``multi_input``).
            model_name: ``marengo3.0`` (512-d) or ``marengo3.5``.
            embedding_dimension: ``marengo3.5`` only: 128, 256 or 512.
            auto_truncate: ``marengo3.5``: cut text past 2,000 tokens instead of refusing it.
            text, image, text_image, audio, video, multi_input: the input named by
                ``input_type`` (``TextInputRequest`` etc., or a dict); a ``media_source``
                may be a local path.
            on_media_source: told how each local file was sent (base64 or asset).

        Returns:
            ``data`` (one entry per vector), ``metadata`` (none for text) and, on 3.5, ``usage``.

        Raises:
            BadRequestError, ContentTooLargeError: a subclass per code, before sending
                when the rules can tell (``preflight=True``), else from the server.
            FileTooLargeForBase64Error: a local file over the base64 allowance.
        """
        raw = await self.with_raw_response.create(
            input_type=input_type,
            model_name=model_name,
            auto_truncate=auto_truncate,
            embedding_uncertainty=embedding_uncertainty,
            embedding_dimension=embedding_dimension,
            text=text,
            image=image,
            text_image=text_image,
            audio=audio,
            video=video,
            multi_input=multi_input,
            on_media_source=on_media_source,
            on_upload_progress=on_upload_progress,
            request_options=request_options,
        )
        return raw.data
