"""``client.embed.tasks.with_raw_response``: each endpoint's raw twin.

The same calls as :class:`~.embed_tasks.AsyncTasksClient`, returning an
:class:`~twelvelabs_embed.types.HttpResponse` (the parsed body as ``data``, plus
``status_code``, ``headers``, ``attempts`` and ``request_id``) instead of the body alone,
as the official SDK's ``with_raw_response`` and openai-python's do. The plain methods are
thin wrappers over these: there is one implementation of each call.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from .. import video_rules as rules
from .._preflight import check_create
from .._transport import Request, Transport
from .._upload import MultipartBody, UploadProgress, VideoFile, file_source, form_fields
from ..types.embed_tasks import (
    EmbeddingOption,
    EmbeddingScope,
    TasksCreateResponse,
    TasksListResponse,
    TasksRetrieveResponse,
    TasksStatusResponse,
)
from ..types.http_response import HttpResponse
from ._base import RequestOptions, build_request, path_segment, send


@attrs.frozen
class PreparedCreate:
    """A checked create, ready to send, and to send again byte for byte.

    Made by :meth:`AsyncRawTasksClient.prepare_create` (the preflight has run and the
    multipart body is framed); each :meth:`AsyncRawTasksClient.send_create` sends the
    identical bytes, so a caller that retries by itself (a bulk job behind a rate gate)
    never re-runs the checks or changes the upload.
    """

    request: Request = attrs.field(repr=False)


class AsyncRawTasksClient:
    """The task endpoints, answering with the parsed body and the HTTP facts."""

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
    ) -> HttpResponse[TasksCreateResponse]:
        """``tasks.create`` with the HTTP facts; same parameters and errors."""
        prepared = await self.prepare_create(
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
        return await self.send_create(prepared)

    async def prepare_create(
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
    ) -> PreparedCreate:
        """Check the parameters (and probe the file), then frame the request; send nothing.

        Raises the same preflight errors as ``tasks.create``.
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
        request = build_request(
            "POST",
            "embed/tasks",
            body=body,
            options=request_options,
            on_upload_progress=on_upload_progress,
        )
        return PreparedCreate(request)

    async def send_create(self, prepared: PreparedCreate) -> HttpResponse[TasksCreateResponse]:
        """Send a :class:`PreparedCreate` (again); the server gets the identical bytes."""
        return await send(self._transport, prepared.request, TasksCreateResponse)

    async def status(
        self, task_id: str, *, request_options: RequestOptions | None = None
    ) -> HttpResponse[TasksStatusResponse]:
        """``tasks.status`` with the HTTP facts."""
        path = f"embed/tasks/{path_segment(task_id)}/status"
        request = build_request("GET", path, options=request_options)
        return await send(self._transport, request, TasksStatusResponse)

    async def retrieve(
        self,
        task_id: str,
        *,
        embedding_option: Sequence[EmbeddingOption] | EmbeddingOption | None = None,
        request_options: RequestOptions | None = None,
    ) -> HttpResponse[TasksRetrieveResponse]:
        """``tasks.retrieve`` with the HTTP facts."""
        options = [embedding_option] if isinstance(embedding_option, str) else embedding_option
        params = [("embedding_option", o) for o in options or ()]
        path = f"embed/tasks/{path_segment(task_id)}"
        request = build_request("GET", path, params=params, options=request_options)
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
    ) -> HttpResponse[TasksListResponse]:
        """One page of ``tasks.list`` with the HTTP facts (the plain method pages on)."""
        params = [
            (k, str(v))
            for k, v in (("started_at", started_at), ("ended_at", ended_at), ("status", status))
            if v is not None
        ]
        params.append(("page", str(page)))
        if page_limit is not None:
            params.append(("page_limit", str(page_limit)))
        request = build_request("GET", "embed/tasks", params=params, options=request_options)
        return await send(self._transport, request, TasksListResponse)
