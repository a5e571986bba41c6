"""Task records to the platform's JSON shapes (facts §1.2-§1.4), serialised with orjson.

Only the fields the platform documents, plus the project's ``error`` object on failed
tasks (§8.2). Whole numbers are written as ints (``video_clip_length: 6``) because the
0.4 SDK models that field as ``int``; vectors are float32 arrays written natively.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import orjson

from ... import video_rules
from ..store import SegmentRecord, TaskRecord

_OPTS = orjson.OPT_SERIALIZE_NUMPY


def rfc3339(ms: int) -> str:
    """Milliseconds since the epoch as ``2024-09-26T10:29:19.968Z``."""
    dt = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _num(x: float) -> float | int:
    return int(x) if math.isfinite(x) and x == int(x) else x


def metadata(t: TaskRecord) -> dict[str, Any]:
    md: dict[str, Any] = {}
    if t.input_url is not None:
        md["input_url"] = t.input_url
    if t.input_filename is not None:
        md["input_filename"] = t.input_filename
    clip = (
        video_rules.DEFAULT_CLIP_LENGTH_SEC if t.video_clip_length is None else t.video_clip_length
    )
    md["video_clip_length"] = _num(clip)
    md["video_embedding_scope"] = list(t.scopes)
    options = t.options or video_rules.MODELS[t.model_name].embedding_options
    md["video_embedding_option"] = list(options)
    if t.duration is not None:
        md["duration"] = t.duration
    return md


def _error(t: TaskRecord, body: dict[str, Any]) -> dict[str, Any]:
    if t.status == "failed" and t.error_code:
        body["error"] = {"code": t.error_code, "message": t.error_message or ""}
    return body


def status_body(t: TaskRecord) -> bytes:
    body = {
        "_id": t.id,
        "model_name": t.model_name,
        "status": t.status,
        "video_embedding": {"metadata": metadata(t)},
    }
    return orjson.dumps(_error(t, body))


def list_item(t: TaskRecord) -> dict[str, Any]:
    return {
        "_id": t.id,
        "model_name": t.model_name,
        "status": t.status,
        "created_at": rfc3339(t.created_ms),
        "updated_at": rfc3339(t.updated_ms),
        "video_embedding": {"metadata": metadata(t)},
    }


def list_body(tasks: Sequence[TaskRecord], page: int, limit: int, total: int) -> bytes:
    return orjson.dumps(
        {
            "data": [list_item(t) for t in tasks],
            "page_info": {
                "limit_per_page": limit,
                "page": page,
                "total_page": -(-total // limit),
                "total_results": total,
            },
        }
    )


def retrieve_body(t: TaskRecord, segments: Sequence[SegmentRecord] | None) -> bytes:
    """The full task; ``segments`` only once it is ``ready`` (``None`` leaves them out)."""
    video: dict[str, Any] = {"metadata": metadata(t)}
    if segments is not None:
        video["segments"] = [
            {
                "float": s.vector,
                "start_offset_sec": s.start_offset_sec,
                "end_offset_sec": s.end_offset_sec,
                "embedding_option": s.embedding_option,
                "embedding_scope": s.embedding_scope,
            }
            for s in segments
        ]
    body = {
        "_id": t.id,
        "model_name": t.model_name,
        "status": t.status,
        "created_at": rfc3339(t.created_ms),
        "updated_at": rfc3339(t.updated_ms),
        "video_embedding": video,
    }
    return orjson.dumps(_error(t, body), option=_OPTS)


def create_body(task_id: str) -> bytes:
    return orjson.dumps({"_id": task_id})


def error_body(code: str, message: str) -> bytes:
    return orjson.dumps({"code": code, "message": message})


def v2_error_body(code: str, message: str, details: dict[str, Any] | None = None) -> bytes:
    """The Embed API v2 error shape ``{"error": {"code", "message", "details"?}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return orjson.dumps({"error": error})
