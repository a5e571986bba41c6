"""Asset and multipart-upload records to the platform's JSON shapes (facts §6)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import orjson

from ..assets_store import AssetRecord, ReportOutcome, UploadRecord
from ..settings import API_PREFIX
from ..uploads import PresignedUrl, UploadStatus
from .bodies import rfc3339


def page_info(page: int, limit: int, total: int) -> dict[str, int]:
    return {
        "limit_per_page": limit,
        "page": page,
        "total_page": math.ceil(total / limit) if total else 0,
        "total_results": total,
    }


def asset(a: AssetRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "_id": a.id,
        "method": a.method,
        "status": a.status,
        "filename": a.filename,
        "file_type": a.file_type,
        "created_at": rfc3339(a.created_ms),
    }
    if a.user_metadata is not None:
        out["user_metadata"] = orjson.loads(a.user_metadata)
    if a.status == "ready":
        out["size"] = a.size
        if a.duration is not None:
            out["duration"] = a.duration
        tech: dict[str, Any] = {"file_size_bytes": a.size}
        if a.file_type:
            tech["file_mime_type"] = a.file_type
        if a.media_type in ("video", "image") and a.width:
            prefix = "video" if a.media_type == "video" else "image"
            tech[f"{prefix}_width"], tech[f"{prefix}_height"] = a.width, a.height
        if a.media_type == "video" and a.duration is not None:
            tech["video_duration_seconds"] = a.duration
        if a.has_audio is not None and a.media_type in ("video", "audio"):
            tech["has_audio"] = a.has_audio
        out["technical_metadata"] = tech
    if a.status == "failed":
        out["error"] = {"message": a.error_message or "The asset could not be processed."}
    return out


def asset_list(items: Sequence[AssetRecord], page: int, limit: int, total: int) -> bytes:
    return orjson.dumps(
        {"data": [asset(a) for a in items], "page_info": page_info(page, limit, total)}
    )


def urls(items: Sequence[PresignedUrl]) -> list[dict[str, Any]]:
    return [
        {"chunk_index": u.chunk_index, "url": u.url, "expires_at": rfc3339(u.expires_ms)}
        for u in items
    ]


def upload_created(u: UploadRecord, first: Sequence[PresignedUrl]) -> bytes:
    return orjson.dumps(
        {
            "upload_id": u.id,
            "asset_id": u.asset_id,
            "upload_urls": urls(first),
            "chunk_size": u.chunk_size,
            "total_chunks": u.total_chunks,
            "expires_at": rfc3339(u.expires_ms),
        }
    )


def more_urls(u: UploadRecord, start: int, items: Sequence[PresignedUrl], now_ms: int) -> bytes:
    return orjson.dumps(
        {
            "upload_id": u.id,
            "start_index": start,
            "count": len(items),
            "upload_urls": urls(items),
            "generated_at": rfc3339(now_ms),
            "expires_at": rfc3339(items[0].expires_ms) if items else rfc3339(now_ms),
        }
    )


def report(u: UploadRecord, o: ReportOutcome, origin: str) -> bytes:
    out: dict[str, Any] = {
        "asset_id": u.asset_id,
        "processed_chunks": o.processed,
        "duplicate_chunks": o.duplicates,
        "total_completed": o.total_completed,
        "failed_chunks": list(o.failed),
    }
    if o.total_completed == u.total_chunks:
        out["url"] = f"{origin}{API_PREFIX}/assets/{u.asset_id}"
    return orjson.dumps(out)


def status(s: UploadStatus, page: int, limit: int) -> bytes:
    u, c = s.upload, s.counts
    chunks = []
    for row in s.chunks:
        item: dict[str, Any] = {"index": row.index, "status": row.status}
        if row.reported_ms is not None:
            item["uploaded_at"] = rfc3339(row.reported_ms)
        if row.updated_ms is not None:
            item["updated_at"] = rfc3339(row.updated_ms)
        if row.error:
            item["error"] = row.error
        chunks.append(item)
    return orjson.dumps(
        {
            "upload_id": u.id,
            "status": u.status,
            "uploaded_chunks": chunks,
            "chunks_completed": c.completed,
            "chunks_failed": c.failed,
            "chunks_pending": u.total_chunks - c.completed - c.failed,
            "page_info": page_info(page, limit, u.total_chunks),
            "total_size": u.total_size,
            "uploaded_size": c.completed_bytes,
            "created_at": rfc3339(u.created_ms),
            "updated_at": rfc3339(u.updated_ms),
        }
    )


def incomplete(items: Sequence[UploadRecord], page: int, limit: int, total: int) -> bytes:
    data = [
        {
            "upload_id": u.id,
            "status": u.status,
            "total_size": u.total_size,
            "chunk_size": u.chunk_size,
            "total_chunks": u.total_chunks,
            "created_at": rfc3339(u.created_ms),
            "expires_at": rfc3339(u.expires_ms),
        }
        for u in items
    ]
    return orjson.dumps({"data": data, "page_info": page_info(page, limit, total)})
