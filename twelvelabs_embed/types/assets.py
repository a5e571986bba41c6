"""Assets and multipart uploads, named as the official SDK 1.3.6 names them.

Frozen attrs classes holding data only; every field optional as the platform omits
fields freely, unknown fields kept in ``extra``. Wire names (``_id``) live only in the
converter. ``UploadProgress`` and ``UploadResult`` are what the high-level upload reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import attrs

from .embed_tasks import TasksListResponsePageInfo

AssetStatus = Literal["processing", "ready", "failed"]
CreateAssetUploadRequestType = Literal["video", "audio", "image"]
MultipartUploadStatusType = Literal["active", "completed", "failed", "expired"]
PageInfo = TasksListResponsePageInfo


def _no_extra() -> Any:
    return attrs.field(factory=dict, kw_only=True, eq=False, repr=False)


@attrs.frozen
class AssetError:
    message: str | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class TechnicalMetadata:
    """A few of the platform's many technical fields; the rest stay in ``extra``."""

    file_size_bytes: int | None = None
    file_mime_type: str | None = None
    video_width: int | None = None
    video_height: int | None = None
    video_duration_seconds: float | None = None
    has_audio: bool | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class Asset:
    """An asset as ``assets.create`` answers: usually still ``processing``."""

    id: str
    method: str | None = None
    status: str | None = None
    filename: str | None = None
    file_type: str | None = None
    created_at: datetime | None = None
    user_metadata: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = _no_extra()

    @property
    def done(self) -> bool:
        """``ready`` or ``failed``: polling may stop."""
        return self.status in ("ready", "failed")


@attrs.frozen
class AssetDetail(Asset):
    """An asset with what its processing found (``assets.retrieve``/``list``)."""

    size: int | None = None
    duration: float | None = None
    technical_metadata: TechnicalMetadata | None = None
    error: AssetError | None = None


@attrs.frozen
class AssetsListResponse:
    data: Sequence[AssetDetail] | None = None
    page_info: PageInfo | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class PresignedUrlChunk:
    chunk_index: int | None = None
    url: str | None = None
    expires_at: datetime | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class CreateAssetUploadResponse:
    upload_id: str
    asset_id: str | None = None
    upload_urls: Sequence[PresignedUrlChunk] | None = None
    upload_headers: Mapping[str, str] | None = None
    chunk_size: int | None = None
    total_chunks: int | None = None
    expires_at: datetime | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class CompletedChunk:
    """One uploaded chunk, reported with the ETag its PUT answered (``proof``)."""

    chunk_index: int
    proof: str
    chunk_size: int
    proof_type: str = "etag"


@attrs.frozen
class ReportChunkBatchResponse:
    url: str | None = None
    asset_id: str | None = None
    processed_chunks: int | None = None
    duplicate_chunks: int | None = None
    total_completed: int | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class RequestAdditionalPresignedUrLsResponse:
    upload_id: str | None = None
    start_index: int | None = None
    count: int | None = None
    upload_urls: Sequence[PresignedUrlChunk] | None = None
    generated_at: datetime | None = None
    expires_at: datetime | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class ChunkInfo:
    index: int
    status: str | None = None
    uploaded_at: datetime | None = None
    updated_at: datetime | None = None
    error: str | None = None
    extra: Mapping[str, Any] = _no_extra()

    @property
    def id(self) -> str:
        return str(self.index)


@attrs.frozen
class GetUploadStatusResponse:
    upload_id: str | None = None
    status: str | None = None
    uploaded_chunks: Sequence[ChunkInfo] | None = None
    chunks_completed: int | None = None
    chunks_failed: int | None = None
    chunks_pending: int | None = None
    page_info: PageInfo | None = None
    total_size: int | None = None
    uploaded_size: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: Mapping[str, Any] = _no_extra()

    @property
    def data(self) -> Sequence[ChunkInfo] | None:
        """The chunks, under the name every paged list uses."""
        return self.uploaded_chunks


@attrs.frozen
class IncompleteUploadSummary:
    upload_id: str
    status: str | None = None
    total_size: int | None = None
    chunk_size: int | None = None
    total_chunks: int | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    extra: Mapping[str, Any] = _no_extra()

    @property
    def id(self) -> str:
        return self.upload_id


@attrs.frozen
class ListIncompleteUploadsResponse:
    data: Sequence[IncompleteUploadSummary] | None = None
    page_info: PageInfo | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class UploadProgress:
    """Where a large upload stands, for ``progress_callback`` (bytes and chunks).

    ``completed_*`` counts what the platform confirmed (reported chunks);
    ``in_flight_bytes`` is what is on its way right now.
    """

    total_bytes: int
    completed_bytes: int
    in_flight_bytes: int
    total_chunks: int
    completed_chunks: int
    status: str
    """``uploading``, ``processing`` (every chunk in, the asset being checked) or ``ready``."""

    @property
    def percentage(self) -> float:
        return 100.0 * self.completed_bytes / self.total_bytes if self.total_bytes else 100.0


@attrs.frozen
class UploadResult:
    """The uploaded asset: ``asset_id`` for ``media_source.asset_id``."""

    asset_id: str
    asset_url: str
    asset: AssetDetail | None = None
    upload_id: str | None = None
    """``None`` for a direct upload."""
    resumed: bool = False
    chunks_sent: int = 0
    """Chunk PUTs this call sent (a resumed upload sends only what was missing)."""
