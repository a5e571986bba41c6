"""``client.assets.with_raw_response`` and ``client.multipart_upload.with_raw_response``:
each endpoint once, answering with the parsed body and the HTTP facts
(:class:`~twelvelabs_embed.types.HttpResponse`). The plain methods wrap these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from .._bytes_body import json_body
from .._transport import Transport
from .._upload import MultipartBody, UploadProgress, VideoFile, file_source
from ..types.assets import (
    Asset,
    AssetDetail,
    AssetsListResponse,
    CompletedChunk,
    CreateAssetUploadResponse,
    GetUploadStatusResponse,
    ListIncompleteUploadsResponse,
    ReportChunkBatchResponse,
    RequestAdditionalPresignedUrLsResponse,
)
from ..types.http_response import HttpResponse
from ._base import RequestOptions, build_request, path_segment, send


def _page(page: int, page_limit: int | None) -> list[tuple[str, str]]:
    params = [("page", str(page))]
    if page_limit is not None:
        params.append(("page_limit", str(page_limit)))
    return params


def _many(name: str, value: str | Sequence[str] | None) -> list[tuple[str, str]]:
    if value is None:
        return []
    return [(name, value)] if isinstance(value, str) else [(name, v) for v in value]


def _flag(value: bool | None) -> str | None:
    return None if value is None else "true" if value else "false"


class AsyncRawAssetsClient:
    """The ``/assets`` endpoints with the HTTP facts."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

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
        on_upload_progress: UploadProgress | None = None,
        request_options: RequestOptions | None = None,
    ) -> HttpResponse[Asset]:
        """``assets.create`` with the HTTP facts; same parameters and errors."""
        if isinstance(user_metadata, Mapping):
            user_metadata = orjson.dumps(user_metadata).decode()
        pairs = [("method", method), ("url", url), ("filename", filename),
                 ("enable_hls", _flag(enable_hls)), ("enable_thumbnail", _flag(enable_thumbnail)),
                 ("user_metadata", user_metadata)]  # fmt: skip
        fields = [(k, v) for k, v in pairs if v is not None]
        source = file_source(file) if file is not None else None
        body = MultipartBody(fields, "file" if source else None, source)
        request = build_request(
            "POST", "assets", body=body, options=request_options,
            on_upload_progress=on_upload_progress,
        )  # fmt: skip
        return await send(self._transport, request, Asset)

    async def retrieve(
        self, asset_id: str, *, request_options: RequestOptions | None = None
    ) -> HttpResponse[AssetDetail]:
        request = build_request("GET", f"assets/{path_segment(asset_id)}", options=request_options)
        return await send(self._transport, request, AssetDetail)

    async def list(
        self,
        *,
        page: int = 1,
        page_limit: int | None = None,
        asset_ids: str | Sequence[str] | None = None,
        asset_types: str | Sequence[str] | None = None,
        filename: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> HttpResponse[AssetsListResponse]:
        """One page of ``assets.list`` with the HTTP facts."""
        params = _page(page, page_limit) + _many("asset_ids", asset_ids)
        params += _many("asset_types", asset_types) + _many("filename", filename)
        request = build_request("GET", "assets", params=params, options=request_options)
        return await send(self._transport, request, AssetsListResponse)

    async def delete(
        self,
        asset_id: str,
        *,
        force: bool | None = None,
        request_options: RequestOptions | None = None,
    ) -> HttpResponse[None]:
        params = [("force", "true" if force else "false")] if force is not None else None
        request = build_request(
            "DELETE", f"assets/{path_segment(asset_id)}", params=params, options=request_options
        )
        response = await self._transport.send(request)
        return HttpResponse(None, response.status, response.headers, response.attempts)


class AsyncRawMultipartUploadClient:
    """The ``/assets/multipart-uploads`` endpoints with the HTTP facts."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

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
    ) -> HttpResponse[CreateAssetUploadResponse]:
        body: dict[str, Any] = {"filename": filename, "type": type, "total_size": total_size}
        for key, value in (("enable_hls", enable_hls), ("enable_thumbnail", enable_thumbnail),
                           ("user_metadata", user_metadata)):  # fmt: skip
            if value is not None:
                body[key] = value
        request = build_request(
            "POST", "assets/multipart-uploads", body=json_body(body), options=request_options
        )
        return await send(self._transport, request, CreateAssetUploadResponse)

    async def report_chunk_batch(
        self,
        upload_id: str,
        *,
        completed_chunks: Sequence[CompletedChunk],
        request_options: RequestOptions | None = None,
    ) -> HttpResponse[ReportChunkBatchResponse]:
        chunks = [
            {"chunk_index": c.chunk_index, "proof": c.proof, "proof_type": c.proof_type,
             "chunk_size": c.chunk_size}
            for c in completed_chunks
        ]  # fmt: skip
        request = build_request(
            "POST",
            f"assets/multipart-uploads/{path_segment(upload_id)}",
            body=json_body({"completed_chunks": chunks}),
            options=request_options,
        )
        return await send(self._transport, request, ReportChunkBatchResponse)

    async def get_additional_presigned_urls(
        self,
        upload_id: str,
        *,
        start: int,
        count: int,
        request_options: RequestOptions | None = None,
    ) -> HttpResponse[RequestAdditionalPresignedUrLsResponse]:
        request = build_request(
            "POST",
            f"assets/multipart-uploads/{path_segment(upload_id)}/presigned-urls",
            body=json_body({"start": start, "count": count}),
            options=request_options,
        )
        return await send(self._transport, request, RequestAdditionalPresignedUrLsResponse)

    async def get_status(
        self,
        upload_id: str,
        *,
        page: int = 1,
        page_limit: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> HttpResponse[GetUploadStatusResponse]:
        """One page of the session's chunks, with its totals."""
        request = build_request(
            "GET",
            f"assets/multipart-uploads/{path_segment(upload_id)}",
            params=_page(page, page_limit),
            options=request_options,
        )
        return await send(self._transport, request, GetUploadStatusResponse)

    async def list_incomplete_uploads(
        self,
        *,
        page: int = 1,
        page_limit: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> HttpResponse[ListIncompleteUploadsResponse]:
        request = build_request(
            "GET",
            "assets/multipart-uploads",
            params=_page(page, page_limit),
            options=request_options,
        )
        return await send(self._transport, request, ListIncompleteUploadsResponse)
