"""``client.multipart_upload``: the multipart upload endpoints, with the official names,
and ``upload_file``, the resumable upload of a large local file.

Each endpoint method wraps its raw twin (``multipart_upload.with_raw_response``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._transport import Transport
from .._upload_state import default_state_dir
from ..types.assets import (
    ChunkInfo,
    CompletedChunk,
    CreateAssetUploadResponse,
    GetUploadStatusResponse,
    IncompleteUploadSummary,
    ListIncompleteUploadsResponse,
    ReportChunkBatchResponse,
    RequestAdditionalPresignedUrLsResponse,
    UploadResult,
)
from ._base import RequestOptions
from ._large_upload import AssetUploadProgressCallback, LargeUpload, origin_of
from .assets_raw import AsyncRawMultipartUploadClient
from .pager import AsyncPager


class AsyncMultipartUploadClient:
    """Upload local files of up to 10 GB in chunks, and resume them."""

    def __init__(self, transport: Transport) -> None:
        self.with_raw_response = AsyncRawMultipartUploadClient(transport)
        self._origin = origin_of(transport.base_url)
        self._timeout = transport.timeout

    async def create(
        self,
        *,
        filename: str,
        type: str,
        total_size: int,
        enable_hls: bool | None = None,
        enable_thumbnail: bool | None = None,
        user_metadata: Mapping[str, Any] | None = None,
        request_options: RequestOptions | None = None,
    ) -> CreateAssetUploadResponse:
        """Start a session: its ``upload_id``, ``chunk_size``, ``total_chunks`` and the
        first presigned URLs (``type``: ``video``, ``audio`` or ``image``)."""
        raw = await self.with_raw_response.create(
            filename=filename, type=type, total_size=total_size, enable_hls=enable_hls,
            enable_thumbnail=enable_thumbnail, user_metadata=user_metadata,
            request_options=request_options,
        )  # fmt: skip
        return raw.data

    async def report_chunk_batch(
        self,
        upload_id: str,
        *,
        completed_chunks: Sequence[CompletedChunk],
        request_options: RequestOptions | None = None,
    ) -> ReportChunkBatchResponse:
        """Report uploaded chunks with their ETags; the last one completes the upload."""
        raw = await self.with_raw_response.report_chunk_batch(
            upload_id, completed_chunks=completed_chunks, request_options=request_options
        )
        return raw.data

    async def get_additional_presigned_urls(
        self,
        upload_id: str,
        *,
        start: int,
        count: int,
        request_options: RequestOptions | None = None,
    ) -> RequestAdditionalPresignedUrLsResponse:
        """Fresh URLs for chunks ``start`` .. ``start + count - 1`` (at most 50)."""
        raw = await self.with_raw_response.get_additional_presigned_urls(
            upload_id, start=start, count=count, request_options=request_options
        )
        return raw.data

    async def get_status(
        self,
        upload_id: str,
        *,
        page: int = 1,
        page_limit: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncPager[ChunkInfo]:
        """Each chunk's status (``completed``, ``pending``, ``failed``), page by page;
        the session's totals are on ``pager.response``."""

        async def fetch(number: int) -> GetUploadStatusResponse:
            raw = await self.with_raw_response.get_status(
                upload_id, page=number, page_limit=page_limit, request_options=request_options
            )
            return raw.data

        return AsyncPager(await fetch(page), page, fetch)

    async def list_incomplete_uploads(
        self,
        *,
        page: int = 1,
        page_limit: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncPager[IncompleteUploadSummary]:
        """Sessions still ``active`` (not every chunk reported, not expired)."""

        async def fetch(number: int) -> ListIncompleteUploadsResponse:
            raw = await self.with_raw_response.list_incomplete_uploads(
                page=number, page_limit=page_limit, request_options=request_options
            )
            return raw.data

        return AsyncPager(await fetch(page), page, fetch)

    async def upload_file(
        self,
        file_path: str | os.PathLike[str],
        *,
        filename: str | None = None,
        file_type: str | None = None,
        batch_size: int = 10,
        max_workers: int = 5,
        progress_callback: AssetUploadProgressCallback | None = None,
        max_retries: int = 3,
        retry_delay: float = 1.0,
        resume: bool = True,
        state_dir: str | os.PathLike[str] | None = None,
        user_metadata: Mapping[str, Any] | None = None,
    ) -> UploadResult:
        """Upload a local file through the multipart flow, resumably (the official helper's
        name and parameters, without its temporary chunk copies; ``file_type`` defaults
        to ``video``).

        Chunks are read straight from the file, ``max_workers`` at a time; each is retried
        up to ``max_retries`` times (``retry_delay`` doubling), and reported in batches of
        ``batch_size``. With ``resume`` (default) the session is recorded in ``state_dir``
        (default: the user cache dir, ``.../twelvelabs-embed/uploads``): running the same
        call again after an interruption sends only the chunks the platform lacks.
        Returns once every chunk is reported; the asset is then ``processing``
        (``client.assets.upload`` also waits until it is ``ready``).

        Raises:
            AssetUploadError: a chunk kept failing or the session expired.
            FileNotFoundError: no such file.
        """
        path = Path(file_path)
        upload = LargeUpload(
            self.with_raw_response,
            path,
            origin=self._origin,
            filename=filename or path.name,
            file_type=file_type or "video",
            state_dir=(Path(state_dir) if state_dir else default_state_dir()) if resume else None,
            concurrency=max_workers,
            batch_size=batch_size,
            max_retries=max_retries,
            retry_delay=retry_delay,
            timeout=self._timeout,
            progress=progress_callback,
            create_options={} if user_metadata is None else {"user_metadata": user_metadata},
        )
        result = await upload.run()
        upload.forget()
        return result
