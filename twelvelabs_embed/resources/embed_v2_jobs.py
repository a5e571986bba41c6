"""Bulk jobs on the Embed API v2: ``client.embed.v_2.tasks`` seen as the job's tasks API.

The job engine (:mod:`twelvelabs_embed.jobs`) speaks the v1 task vocabulary: create with
``video_file``/``video_url`` and ``video_clip_length``, poll a status, retrieve segments.
:class:`V2JobTasks` answers in that vocabulary through the public v2 client, so the same
journal, rate gate, poller and output writers run on v2 and write the same rows:

* create: ``video_clip_length`` -> ``segmentation.fixed.duration_sec`` (whole seconds),
  offsets -> ``start_sec``/``end_sec``, scope ``video`` -> ``asset``; a local file goes as
  base64 (or as an asset, when the client can upload one);
* status: one v2 retrieve (v2 has no status endpoint); a ``ready`` answer is kept for the
  job's retrieve that follows, so the vectors cross the network once;
* retrieve: ``data[]`` as v1 segments (``float_``, offsets, scope ``asset`` -> ``video``),
  filtered by ``embedding_option`` as v1's retrieve filters.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Sequence
from typing import Any, Protocol

from ..errors import ApiResponseValidationError
from ..types.embed_tasks import (
    MediaEmbeddingTask,
    TaskError,
    TasksCreateResponse,
    TasksRetrieveResponse,
    TasksRetrieveResponseVideoEmbedding,
    TasksStatusResponse,
    TasksStatusResponseVideoEmbedding,
    VideoEmbeddingMetadata,
    VideoSegment,
)
from ..types.embed_v2 import EmbeddingTaskResponse
from ..types.http_response import HttpResponse
from ._base import RequestOptions
from .embed_tasks_raw import PreparedCreate
from .embed_v2_raw import AsyncRawV2TasksClient
from .pager import AsyncPager


class V2TasksClient(Protocol):
    """What the job adapter uses of ``client.embed.v_2.tasks`` (``AsyncV2TasksClient``);
    a Protocol, so this module need not import ``embed_v2``, which imports it."""

    with_raw_response: AsyncRawV2TasksClient

    async def retrieve(
        self, task_id: str, *, request_options: RequestOptions | None = None
    ) -> EmbeddingTaskResponse: ...

    async def list(
        self,
        *,
        started_at: str | None = None,
        ended_at: str | None = None,
        status: str | None = None,
        page: int = 1,
        page_limit: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncPager[MediaEmbeddingTask]: ...


__all__ = ["V2JobTasks", "v2_video_request"]

_SCOPES_TO_V2 = {"clip": "clip", "video": "asset"}
_SCOPES_TO_V1 = {"clip": "clip", "asset": "video"}


def v2_video_request(
    *,
    video_file: str | os.PathLike[str] | None = None,
    video_url: str | None = None,
    video_start_offset_sec: float | None = None,
    video_end_offset_sec: float | None = None,
    video_clip_length: float | None = None,
    video_embedding_scope: Sequence[str] | str | None = None,
) -> dict[str, Any]:
    """A v1 task's create parameters as a v2 ``video`` input (wire-form dict)."""
    video: dict[str, Any] = {
        "media_source": {"url": video_url} if video_url else video_file,
    }
    if video_start_offset_sec is not None:
        video["start_sec"] = video_start_offset_sec
    if video_end_offset_sec is not None:
        video["end_sec"] = video_end_offset_sec
    if video_clip_length is not None:
        seconds = round(video_clip_length)
        video["segmentation"] = {"strategy": "fixed", "fixed": {"duration_sec": seconds}}
    if video_embedding_scope is not None:
        scopes = (
            [video_embedding_scope]
            if isinstance(video_embedding_scope, str)
            else video_embedding_scope
        )
        video["embedding_scope"] = [_SCOPES_TO_V2.get(s, s) for s in scopes]
    else:
        video["embedding_scope"] = ["clip"]  # v1's default
    return video


def _metadata(task: EmbeddingTaskResponse) -> VideoEmbeddingMetadata | None:
    md = task.metadata
    if md is None:
        return None
    return VideoEmbeddingMetadata(
        input_url=md.input_url,
        input_filename=md.input_filename,
        video_clip_length=md.clip_length,
        video_embedding_scope=[_SCOPES_TO_V1.get(s, s) for s in md.embedding_scopes or []],
        video_embedding_option=md.embedding_options,
        duration=md.duration,
    )


class _RawV2JobTasks:
    def __init__(self, tasks: V2TasksClient) -> None:
        self._tasks = tasks

    async def prepare_create(
        self,
        model_name: str,
        *,
        on_upload_progress: Any = None,
        request_options: RequestOptions | None = None,
        **video: Any,
    ) -> PreparedCreate:
        return await self._tasks.with_raw_response.prepare_create(
            input_type="video",
            model_name=model_name,
            video=v2_video_request(**video),
            on_upload_progress=on_upload_progress,
            request_options=request_options,
        )

    async def send_create(self, prepared: PreparedCreate) -> HttpResponse[TasksCreateResponse]:
        raw = await self._tasks.with_raw_response.send_create(prepared)
        if raw.data.id is None:
            raise ApiResponseValidationError(
                "the v2 task create answer has no _id", status_code=raw.status_code
            )
        created = TasksCreateResponse(id=raw.data.id)
        return HttpResponse(created, raw.status_code, raw.headers, raw.attempts)


class V2JobTasks:
    """``client.embed.v_2.tasks`` as the job's :class:`~twelvelabs_embed.jobs.tasks_api.TasksApi`."""

    def __init__(self, tasks: V2TasksClient) -> None:
        self._tasks = tasks
        self.with_raw_response = _RawV2JobTasks(tasks)
        self._ready: dict[str, EmbeddingTaskResponse] = {}

    async def status(self, task_id: str) -> TasksStatusResponse:
        task = await self._tasks.retrieve(task_id)
        if task.status == "ready":
            self._ready[task_id] = task
        error = TaskError(code="task_failed", message=task.error.message) if task.error else None
        return TasksStatusResponse(
            id=task.id,
            status=task.status,
            video_embedding=TasksStatusResponseVideoEmbedding(metadata=_metadata(task)),
            error=error,
        )

    async def retrieve(
        self, task_id: str, *, embedding_option: Sequence[str] | str | None = None
    ) -> TasksRetrieveResponse:
        task = self._ready.pop(task_id, None) or await self._tasks.retrieve(task_id)
        keep = [embedding_option] if isinstance(embedding_option, str) else embedding_option
        segments = [
            VideoSegment(
                float_=d.embedding,
                start_offset_sec=d.start_sec,
                end_offset_sec=d.end_sec,
                embedding_option=d.embedding_option,
                embedding_scope=_SCOPES_TO_V1.get(d.embedding_scope or "", d.embedding_scope),
            )
            for d in task.data or []
            if not keep or d.embedding_option in keep
        ]
        return TasksRetrieveResponse(
            id=task.id,
            status=task.status,
            created_at=task.created_at,
            updated_at=task.updated_at,
            video_embedding=TasksRetrieveResponseVideoEmbedding(
                metadata=_metadata(task), segments=segments
            ),
        )

    async def list(self, **filters: Any) -> AsyncIterable[MediaEmbeddingTask]:
        return await self._tasks.list(**filters)
