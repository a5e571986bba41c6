"""``client.embed.v_2.with_raw_response`` and ``client.embed.v_2.tasks.with_raw_response``.

Each Embed API v2 endpoint once, answering with an
:class:`~twelvelabs_embed.types.HttpResponse` (the parsed body plus status, headers and
attempts); the plain methods in :mod:`.embed_v2` wrap these. Every body is checked by the
shared rules (:mod:`twelvelabs_embed.rules.embed_v2`) before it is sent, after local files
have been turned into base64 or an asset (:mod:`.media_sources`), so a refusal costs no
request and reads as the platform's (``preflight=True``).
"""

from __future__ import annotations

from typing import Any

from .._bytes_body import json_body
from .._converter import request_to_wire
from .._preflight import violation_error
from .._transport import Transport
from .._upload import UploadProgress
from ..rules.embed_v2 import Mode, base64_size_violations, parse_request
from ..types.embed_tasks import TasksListResponse
from ..types.embed_v2 import EmbeddingSuccessResponse, EmbeddingTaskResponse
from ..types.embed_v2 import TasksCreateResponse as EmbeddingTasksCreateResponse
from ..types.http_response import HttpResponse
from ._base import RequestOptions, build_request, path_segment, send
from .embed_tasks_raw import PreparedCreate
from .media_sources import AssetUpload, MediaSourceCallback, resolve_local_sources


async def prepare_body(
    mode: Mode,
    fields: dict[str, Any],
    *,
    upload: AssetUpload | None,
    on_media_source: MediaSourceCallback | None,
    on_upload_progress: UploadProgress | None = None,
) -> dict[str, Any]:
    """The wire body for ``fields`` (attrs requests or dicts), local files resolved,
    checked by the rules.

    Raises:
        BadRequestError, ContentTooLargeError: a subclass per code, ``preflight=True``.
        FileTooLargeForBase64Error: a local file over the base64 allowance, no asset upload.
    """
    body = {k: request_to_wire(v) for k, v in fields.items() if v is not None}
    body = await resolve_local_sources(
        body,
        mode=mode,
        upload=upload,
        on_media_source=on_media_source,
        on_bytes=on_upload_progress,
    )
    req, found = parse_request(body, mode)
    if req is not None:
        found = base64_size_violations(req)
    if found:
        raise violation_error(found)
    return body


class AsyncRawV2Client:
    """``POST /embed-v2`` with the HTTP facts."""

    def __init__(self, transport: Transport, *, upload: AssetUpload | None = None) -> None:
        self._transport = transport
        self._upload = upload

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
    ) -> HttpResponse[EmbeddingSuccessResponse]:
        """``v_2.create`` with the HTTP facts; same parameters and errors."""
        body = await prepare_body(
            "sync",
            {
                "input_type": input_type,
                "model_name": model_name,
                "auto_truncate": auto_truncate,
                "embedding_uncertainty": embedding_uncertainty,
                "embedding_dimension": embedding_dimension,
                "text": text,
                "image": image,
                "text_image": text_image,
                "audio": audio,
                "video": video,
                "multi_input": multi_input,
            },
            upload=self._upload,
            on_media_source=on_media_source,
            on_upload_progress=on_upload_progress,
        )
        request = build_request(
            "POST",
            "embed-v2",
            body=json_body(body),
            options=request_options,
            on_upload_progress=on_upload_progress,
        )
        return await send(self._transport, request, EmbeddingSuccessResponse)


class AsyncRawV2TasksClient:
    """``/embed-v2/tasks`` with the HTTP facts."""

    def __init__(self, transport: Transport, *, upload: AssetUpload | None = None) -> None:
        self._transport = transport
        self._upload = upload

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
    ) -> HttpResponse[EmbeddingTasksCreateResponse]:
        """``v_2.tasks.create`` with the HTTP facts; same parameters and errors."""
        prepared = await self.prepare_create(
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
        return await self.send_create(prepared)

    async def prepare_create(
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
    ) -> PreparedCreate:
        """Resolve local files, check and frame the body; send nothing (as v1's twin)."""
        body = await prepare_body(
            "async",
            {
                "input_type": input_type,
                "model_name": model_name,
                "embedding_uncertainty": embedding_uncertainty,
                "embedding_dimension": embedding_dimension,
                "audio": audio,
                "video": video,
                "document": document,
                "image": image,
            },
            upload=self._upload,
            on_media_source=on_media_source,
            on_upload_progress=on_upload_progress,
        )
        request = build_request(
            "POST",
            "embed-v2/tasks",
            body=json_body(body),
            options=request_options,
            on_upload_progress=on_upload_progress,
        )
        return PreparedCreate(request)

    async def send_create(
        self, prepared: PreparedCreate
    ) -> HttpResponse[EmbeddingTasksCreateResponse]:
        """Send a :class:`PreparedCreate` (again); the server gets the identical bytes."""
        return await send(self._transport, prepared.request, EmbeddingTasksCreateResponse)

    async def retrieve(
        self, task_id: str, *, request_options: RequestOptions | None = None
    ) -> HttpResponse[EmbeddingTaskResponse]:
        """``v_2.tasks.retrieve`` with the HTTP facts."""
        request = build_request(
            "GET", f"embed-v2/tasks/{path_segment(task_id)}", options=request_options
        )
        return await send(self._transport, request, EmbeddingTaskResponse)

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
        """One page of ``v_2.tasks.list`` with the HTTP facts."""
        params = [
            (k, str(v))
            for k, v in (("started_at", started_at), ("ended_at", ended_at), ("status", status))
            if v is not None
        ]
        params.append(("page", str(page)))
        if page_limit is not None:
            params.append(("page_limit", str(page_limit)))
        request = build_request("GET", "embed-v2/tasks", params=params, options=request_options)
        return await send(self._transport, request, TasksListResponse)
