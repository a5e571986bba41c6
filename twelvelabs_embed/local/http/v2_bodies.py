"""Embed API v2 JSON bodies (facts §1, §3), serialised with orjson.

What the official SDK 1.3.6 parses strictly is respected: ``metadata`` is left out for
text (it has no text variant), audio/video metadata always carries ``embedding_options``,
``embedding_scopes`` and ``duration`` (so it is left out until the duration is known),
task ``error`` is sent only when ``failed``, and ``usage``/``embedding_dimension`` only
for Marengo 3.5.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import orjson

from ...rules import embed_v2_limits as L
from ...rules.embed_v2 import V2Request
from ..v2_store import V2DataRecord, V2TaskRecord
from .bodies import rfc3339

_OPTS = orjson.OPT_SERIALIZE_NUMPY


def data_entries(rows: Iterable[V2DataRecord]) -> list[dict[str, Any]]:
    """``data[]``: the vector plus only the fields that apply (text has just ``embedding``)."""
    out = []
    for r in rows:
        entry: dict[str, Any] = {"embedding": r.vector}
        for key, value in (
            ("embedding_option", r.embedding_option),
            ("embedding_scope", r.embedding_scope),
            ("start_sec", r.start_sec),
            ("end_sec", r.end_sec),
        ):
            if value is not None:
                entry[key] = value
        out.append(entry)
    return out


def rows_from_bytes(
    rows: Iterable[tuple[float | None, float | None, str | None, str | None, bytes]],
) -> list[V2DataRecord]:
    return [V2DataRecord(a, b, o, s, np.frombuffer(v, dtype="<f4")) for a, b, o, s, v in rows]


def media_metadata(
    req: V2Request,
    *,
    duration: float | None,
    options: Sequence[str],
    input_url: str | None = None,
    input_filename: str | None = None,
) -> dict[str, Any] | None:
    """The ``metadata`` object for ``req``'s input type, or ``None`` when none applies."""
    if req.input_type == "text":
        return None
    md: dict[str, Any] = {"input_type": req.input_type}
    if req.input_type != "multi_input":
        if input_url is not None:
            md["input_url"] = input_url
        if input_filename is not None:
            md["input_filename"] = input_filename
    media = req.media
    if media is not None:
        if duration is None:
            return None  # the SDK requires ``duration`` on audio/video metadata
        md["embedding_options"] = list(options)
        md["embedding_scopes"] = list(media.requested_scopes)
        md["duration"] = duration
        if media.start_sec is not None:
            md["start_offset_sec"] = media.start_sec
        if media.end_sec is not None:
            md["end_offset_sec"] = min(media.end_sec, duration)
        if media.kind == "video" and media.segmentation.strategy == "fixed":
            md["clip_length"] = int(media.segmentation.seconds)
    elif req.input_type == "image" and req.mode == "async":
        md["embedding_options"] = ["visual"]
        md["embedding_scopes"] = ["asset"]
    if req.model_name == "marengo3.5":
        md["embedding_dimension"] = req.embedding_dimension
    return md


def usage(
    req: V2Request, *, text: str | None, truncated: bool, media_seconds: float
) -> dict[str, Any] | None:
    """Marengo 3.5's ``usage``: text tokens (see ``count_tokens``), one token per image,
    and one per started second of audio or video, as the engine counts them."""
    if req.model_name != "marengo3.5":
        return None
    tokens: dict[str, int] = {}
    if text is not None:
        tokens["text"] = L.count_tokens(text)
    images = sum(1 for s in req.sources if (s.media_type or "image") == "image")
    if images and req.input_type != "text":
        tokens["image"] = images
    if media_seconds:
        kind = req.media.kind if req.media is not None else "video"
        tokens[kind] = int(-(-media_seconds // 1))
    out: dict[str, Any] = {"input_tokens": tokens, "truncated": truncated}
    if truncated:
        out["truncation_reason"] = "model_context_window"
    return out


def success_body(
    rows: Sequence[V2DataRecord], metadata: dict[str, Any] | None, usage_: dict[str, Any] | None
) -> bytes:
    body: dict[str, Any] = {"data": data_entries(rows)}
    if usage_ is not None:
        body["usage"] = usage_
    if metadata is not None:
        body["metadata"] = metadata
    return orjson.dumps(body, option=_OPTS)


def created_body(task_id: str, req: V2Request) -> bytes:
    body: dict[str, Any] = {"_id": task_id, "status": "processing", "data": None}
    if req.model_name == "marengo3.5":
        body["metadata"] = {"embedding_dimension": req.embedding_dimension}
    return orjson.dumps(body)


def task_body(
    t: V2TaskRecord,
    req: V2Request,
    rows: Sequence[V2DataRecord] | None,
    options: Sequence[str],
) -> bytes:
    body: dict[str, Any] = {
        "_id": t.id,
        "status": t.status,
        "created_at": rfc3339(t.created_ms),
        "updated_at": rfc3339(t.updated_ms),
        "data": data_entries(rows) if rows is not None else None,
    }
    if t.status == "ready":
        seconds = t.duration if req.media is not None and t.duration else 0.0
        u = usage(req, text=None, truncated=False, media_seconds=seconds)
        if u is not None:
            body["usage"] = u
    md = media_metadata(
        req,
        duration=t.duration,
        options=options,
        input_url=t.input_url,
        input_filename=t.input_filename,
    )
    if md is not None:
        body["metadata"] = md
    if t.status == "failed":
        body["error"] = {"message": t.error_message or L.TASK_FAILED_MEDIA}
    return orjson.dumps(body, option=_OPTS)


def list_item(t: V2TaskRecord, req: V2Request, options: Sequence[str]) -> dict[str, Any]:
    """A ``MediaEmbeddingTask``: no vectors; metadata under ``<kind>_embedding``."""
    item: dict[str, Any] = {
        "_id": t.id,
        "model_name": t.model_name,
        "status": t.status,
        "created_at": rfc3339(t.created_ms),
        "updated_at": rfc3339(t.updated_ms),
    }
    md: dict[str, Any] = {}
    if t.input_url is not None:
        md["input_url"] = t.input_url
    if t.input_filename is not None:
        md["input_filename"] = t.input_filename
    kind = req.input_type
    media = req.media
    if media is not None and kind == "video":
        if media.segmentation.strategy == "fixed":
            md["video_clip_length"] = int(media.segmentation.seconds)
        md["video_embedding_scope"] = list(media.requested_scopes)
        md["video_embedding_option"] = list(options)
    elif media is not None:
        md["audio_embedding_scope"] = list(media.requested_scopes)
        md["audio_embedding_option"] = list(options)
        if media.start_sec is not None:
            md["start_offset_sec"] = media.start_sec
        if media.end_sec is not None:
            md["end_offset_sec"] = media.end_sec
    else:
        md[f"{kind}_embedding_option"] = list(options)
        md[f"{kind}_embedding_scope"] = ["asset"]
    if t.duration is not None and media is not None:
        md["duration"] = t.duration
    item[f"{kind}_embedding"] = {"metadata": md}
    return item


def list_body(items: list[dict[str, Any]], page: int, limit: int, total: int) -> bytes:
    return orjson.dumps(
        {
            "data": items,
            "page_info": {
                "limit_per_page": limit,
                "page": page,
                "total_page": -(-total // limit),
                "total_results": total,
            },
        }
    )
