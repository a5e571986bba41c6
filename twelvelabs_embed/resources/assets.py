"""``client.assets``: the asset endpoints, with the official names, and ``upload``, which
puts a local file of any size up to 10 GB on the platform and waits until it is ``ready``.

Each endpoint method wraps its raw twin (``assets.with_raw_response``).
"""

from __future__ import annotations

import inspect
import mimetypes
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._aio import to_thread
from .._transport import Transport
from .._upload import UploadProgress as BytesSentCallback
from .._upload import VideoFile
from .._upload_state import default_state_dir
from ..rules import assets as asset_rules
from ..types.assets import Asset, AssetDetail, AssetsListResponse, UploadProgress, UploadResult
from ._base import RequestOptions
from ._large_upload import AssetUploadProgressCallback, LargeUpload, origin_of, wait_until_ready
from .assets_raw import AsyncRawAssetsClient, AsyncRawMultipartUploadClient
from .pager import AsyncPager


def media_type_of(path: Path) -> str:
    """``video``, ``audio`` or ``image`` from the file name (``video`` when unsure)."""
    mime = mimetypes.guess_type(path.name, strict=False)[0] or ""
    head = mime.split("/", 1)[0]
    return head if head in ("video", "audio", "image") else "video"


class AsyncAssetsClient:
    """Create, list and delete assets; upload large local files resumably."""

    def __init__(self, transport: Transport) -> None:
        self.with_raw_response = AsyncRawAssetsClient(transport)
        self._multipart = AsyncRawMultipartUploadClient(transport)
        self._origin = origin_of(transport.base_url)
        self._timeout = transport.timeout

    async def create(
        self,
        *,
        method: str,
        file: VideoFile | None = None,
        url: str | None = None,
        filename: str | None = None,
        enable_hls: bool | None = None,
        enable_thumbnail: bool | None = None,
        user_metadata: str | Mapping[str, Any] | None = None,
        on_upload_progress: BytesSentCallback | None = None,
        request_options: RequestOptions | None = None,
    ) -> Asset:
        """Create an asset from a local ``file`` (``method="direct"``, up to 200 MB) or a
        public ``url`` (``method="url"``). It starts ``processing``: wait with
        :meth:`wait_for_ready` before using its id."""
        raw = await self.with_raw_response.create(
            method=method, file=file, url=url, filename=filename, enable_hls=enable_hls,
            enable_thumbnail=enable_thumbnail, user_metadata=user_metadata,
            on_upload_progress=on_upload_progress, request_options=request_options,
        )  # fmt: skip
        return raw.data

    async def retrieve(
        self, asset_id: str, *, request_options: RequestOptions | None = None
    ) -> AssetDetail:
        return (
            await self.with_raw_response.retrieve(asset_id, request_options=request_options)
        ).data

    async def list(
        self,
        *,
        page: int = 1,
        page_limit: int | None = None,
        asset_ids: str | Sequence[str] | None = None,
        asset_types: str | Sequence[str] | None = None,
        filename: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncPager[AssetDetail]:
        """Assets, newest first; ``async for asset in pager`` walks every page."""

        async def fetch(number: int) -> AssetsListResponse:
            raw = await self.with_raw_response.list(
                page=number, page_limit=page_limit, asset_ids=asset_ids,
                asset_types=asset_types, filename=filename, request_options=request_options,
            )  # fmt: skip
            return raw.data

        return AsyncPager(await fetch(page), page, fetch)

    async def delete(
        self,
        asset_id: str,
        *,
        force: bool | None = None,
        request_options: RequestOptions | None = None,
    ) -> None:
        """Delete the asset (``ConflictError`` while something still uses it)."""
        await self.with_raw_response.delete(asset_id, force=force, request_options=request_options)

    async def wait_for_ready(
        self, asset_id: str, *, sleep_interval: float = 2.0, timeout: float | None = None
    ) -> AssetDetail:
        """Poll until the asset is ``ready`` and return it.

        Raises:
            AssetUploadError: the asset ``failed`` (the message says why).
            WaitTimeoutError: ``timeout`` seconds passed first.
        """
        return await wait_until_ready(
            self.retrieve, asset_id, sleep_interval=sleep_interval, timeout=timeout
        )

    async def upload(
        self,
        path: str | os.PathLike[str],
        *,
        file_type: str | None = None,
        filename: str | None = None,
        multipart_threshold: int = asset_rules.DIRECT_MAX_BYTES,
        concurrency: int = 4,
        batch_size: int = 10,
        max_retries: int = 5,
        retry_delay: float = 1.0,
        resume: bool = True,
        state_dir: str | os.PathLike[str] | None = None,
        user_metadata: Mapping[str, Any] | None = None,
        progress_callback: AssetUploadProgressCallback | None = None,
        wait: bool = True,
        sleep_interval: float = 1.0,
        timeout: float | None = None,
    ) -> UploadResult:
        """Upload a local file and (by default) wait until the asset is ``ready``.

        Files up to ``multipart_threshold`` bytes (200 MB) go in one direct upload; larger
        ones (up to 10 GB) through the multipart flow, ``concurrency`` chunks at a time,
        read straight from the file (memory: about ``concurrency`` MiB), retried, with
        expired URLs replaced and ETags reported in batches. With ``resume`` the session is
        recorded in ``state_dir`` (default: the user cache dir,
        ``.../twelvelabs-embed/uploads``), so calling ``upload`` again after Ctrl-C, a crash
        or a lost network sends only the chunks the platform does not have yet.
        ``progress_callback`` gets an :class:`UploadProgress` (bytes and chunks confirmed,
        bytes in flight).

        Raises:
            AssetUploadError: a chunk kept failing, the session expired, or the asset failed.
            WaitTimeoutError: ``timeout`` seconds passed before the asset was ready.
        """
        source = Path(path)
        size = (await to_thread(os.stat, source)).st_size
        kind = file_type or media_type_of(source)
        name = filename or source.name
        chunks = 1
        if size <= multipart_threshold:
            asset = await self.create(
                method="direct", file=source, filename=name, user_metadata=user_metadata
            )
            result = UploadResult(asset.id, f"{self._origin}/assets/{asset.id}")
            if progress_callback is not None:
                await _tell(progress_callback, UploadProgress(size, size, 0, 1, 1, "processing"))
        else:
            upload = LargeUpload(
                self._multipart, source, origin=self._origin, filename=name, file_type=kind,
                state_dir=(Path(state_dir) if state_dir else default_state_dir()) if resume else None,
                concurrency=concurrency, batch_size=batch_size, max_retries=max_retries,
                retry_delay=retry_delay, timeout=self._timeout, progress=progress_callback,
                create_options={} if user_metadata is None else {"user_metadata": user_metadata},
            )  # fmt: skip
            result = await upload.run()
            chunks = upload.total_chunks
        if not wait:
            return result
        ready = await self.wait_for_ready(
            result.asset_id, sleep_interval=sleep_interval, timeout=timeout
        )
        if size > multipart_threshold:
            upload.forget()
        if progress_callback is not None:
            await _tell(progress_callback, UploadProgress(size, size, 0, chunks, chunks, "ready"))
        return UploadResult(
            result.asset_id, result.asset_url, ready, result.upload_id, result.resumed,
            result.chunks_sent,
        )  # fmt: skip


async def _tell(callback: AssetUploadProgressCallback, event: UploadProgress) -> None:
    out = callback(event)
    if inspect.isawaitable(out):
        await out
