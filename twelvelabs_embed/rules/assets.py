"""Assets and multipart uploads: the platform's limits, the chunk plan, and the rules
for each request; pure, no I/O.

The engine refuses with these rules and the SDK plans its uploads with them, so the
chunk arithmetic (which bytes belong to chunk ``i``) exists once. Chunks are numbered
from 1, as the platform numbers them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..video_rules import Violation

MB = 1000 * 1000
"""The platform counts its upload limits in decimal megabytes."""
GB = 1000 * MB
MiB = 1024 * 1024

DIRECT_MAX_BYTES = 200 * MB
"""``POST /assets`` with a local file (video, audio, document)."""
IMAGE_MAX_BYTES = 32 * MB
URL_MAX_BYTES = 4 * GB
"""``POST /assets`` with ``method=url`` (video, audio)."""
MULTIPART_MAX_BYTES = 10 * GB
"""A multipart upload of a video or audio file."""

ASSET_METHODS: tuple[str, ...] = ("direct", "url")
"""What ``POST /assets`` accepts; ``multipart`` assets come from the upload flow."""
ASSET_STATUSES: tuple[str, ...] = ("processing", "ready", "failed")
ASSET_TYPES: tuple[str, ...] = ("image", "video", "audio", "document")
UPLOAD_TYPES: tuple[str, ...] = ("video", "audio", "image")
UPLOAD_STATUSES: tuple[str, ...] = ("active", "completed", "failed", "expired")
CHUNK_STATUSES: tuple[str, ...] = ("completed", "pending", "failed")

DEFAULT_CHUNK_SIZE = 8 * MiB
MIN_CHUNK_SIZE = 5 * MiB
"""The smallest chunk (but the last) object stores accept."""
MAX_CHUNKS = 10_000
MAX_URLS_PER_REQUEST = 50
"""Presigned URLs per create answer or per ``presigned-urls`` request."""
MAX_REPORT_CHUNKS = 1000
"""Chunks one ``report_chunk_batch`` may carry (a bound on the request's size)."""
PRESIGNED_URL_TTL_MS = 3_600_000
"""A presigned chunk URL works for one hour."""
UPLOAD_TTL_MS = 24 * 3_600_000
"""An upload session must finish within 24 hours, then it expires."""
MAX_FILENAME = 255
MAX_USER_METADATA_BYTES = 16 * 1024


def chunk_size_for(total_size: int) -> int:
    """The chunk size for a file: 8 MiB, larger when that would need over 10,000 chunks."""
    needed = math.ceil(total_size / MAX_CHUNKS)
    return max(DEFAULT_CHUNK_SIZE, math.ceil(needed / MiB) * MiB)


def total_chunks(total_size: int, chunk_size: int) -> int:
    return max(1, math.ceil(total_size / chunk_size))


def chunk_span(index: int, chunk_size: int, total_size: int) -> tuple[int, int]:
    """Byte offset and length of chunk ``index`` (1-based)."""
    offset = (index - 1) * chunk_size
    return offset, max(0, min(chunk_size, total_size - offset))


def max_upload_bytes(upload_type: str) -> int:
    return IMAGE_MAX_BYTES if upload_type == "image" else MULTIPART_MAX_BYTES


def _invalid(parameter: str, why: str) -> Violation:
    return Violation(
        "parameter_invalid", f"The `{parameter}` parameter is invalid. {why}", parameter
    )


def _missing(parameter: str) -> Violation:
    return Violation(
        "parameter_not_provided",
        f"The `{parameter}` parameter is required but was not provided.",
        parameter,
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _size_text(n: int) -> str:
    return f"{n / GB:g} GB" if n >= GB else f"{n / MB:g} MB"


def check_filename(value: Any, parameter: str = "filename") -> list[Violation]:
    if not isinstance(value, str) or not value.strip():
        return [_missing(parameter)] if value is None else [_invalid(parameter, "Give a name.")]
    if len(value) > MAX_FILENAME or any(ord(c) < 32 for c in value):
        return [_invalid(parameter, f"Use at most {MAX_FILENAME} printable characters.")]
    return []


def check_user_metadata(value: Any) -> list[Violation]:
    """A JSON object of strings, numbers, booleans, or lists of strings (or null)."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [_invalid("user_metadata", "It must be a JSON object.")]
    for key, v in value.items():
        ok = v is None or isinstance(v, (str, int, float, bool))
        ok = ok or (isinstance(v, list) and all(isinstance(x, str) for x in v))
        if not isinstance(key, str) or not ok:
            return [
                _invalid(
                    "user_metadata",
                    "Values must be strings, numbers, booleans or arrays of strings.",
                )
            ]
    return []


def check_create_upload(body: Any) -> list[Violation]:
    """``POST /assets/multipart-uploads``: ``filename``, ``type``, ``total_size``."""
    if not isinstance(body, Mapping):
        return [_invalid("body", "Send a JSON object.")]
    out = check_filename(body.get("filename"))
    kind = body.get("type")
    if kind is None:
        out.append(_missing("type"))
    elif kind not in UPLOAD_TYPES:
        out.append(_invalid("type", f"Use one of {', '.join(UPLOAD_TYPES)}."))
    size = body.get("total_size")
    if size is None:
        out.append(_missing("total_size"))
    elif not _is_int(size) or size < 1:
        out.append(_invalid("total_size", "It must be a positive whole number of bytes."))
    elif kind in UPLOAD_TYPES and size > max_upload_bytes(kind):
        limit = max_upload_bytes(kind)
        out.append(
            Violation(
                "asset_filesize_too_large",
                f"The file is {_size_text(size)}; a multipart upload of type {kind!r} may be"
                f" at most {_size_text(limit)}.",
                "total_size",
            )
        )
    for flag in ("enable_hls", "enable_thumbnail"):
        if body.get(flag) is not None and not isinstance(body.get(flag), bool):
            out.append(_invalid(flag, "It must be true or false."))
    out += check_user_metadata(body.get("user_metadata"))
    return out


def check_url_range(start: Any, count: Any, chunks: int) -> list[Violation]:
    """``POST .../presigned-urls``: ``start`` in 1..chunks, ``count`` in 1..50."""
    out = []
    if start is None:
        out.append(_missing("start"))
    elif not _is_int(start) or not 1 <= start <= chunks:
        out.append(_invalid("start", f"It must be a chunk number from 1 to {chunks}."))
    if count is None:
        out.append(_missing("count"))
    elif not _is_int(count) or not 1 <= count <= MAX_URLS_PER_REQUEST:
        out.append(_invalid("count", f"It must be from 1 to {MAX_URLS_PER_REQUEST}."))
    return out


def check_completed_chunks(
    chunks: Any, chunk_size: int, total_size: int
) -> tuple[list[Violation], list[tuple[int, str, int]]]:
    """``report_chunk_batch``: each entry's index, proof, proof type and size.

    Returns the violations and, when there are none, ``(index, proof, size)`` per entry.
    A chunk whose size is not the plan's is refused here; a proof that does not match
    the bytes received is the engine's business (the chunk becomes ``failed``).
    """
    if not isinstance(chunks, list) or not chunks:
        return [_missing("completed_chunks")] if chunks is None else [
            _invalid("completed_chunks", "Send a non-empty array of chunks.")
        ], []
    if len(chunks) > MAX_REPORT_CHUNKS:
        return [_invalid("completed_chunks", f"Report at most {MAX_REPORT_CHUNKS} chunks.")], []
    n = total_chunks(total_size, chunk_size)
    out: list[tuple[int, str, int]] = []
    for i, c in enumerate(chunks):
        where = f"completed_chunks[{i}]"
        if not isinstance(c, Mapping):
            return [_invalid(where, "Each entry must be an object.")], []
        index: Any = c.get("chunk_index")
        proof, kind, size = c.get("proof"), c.get("proof_type"), c.get("chunk_size")
        if not _is_int(index) or not 1 <= index <= n:
            return [_invalid(f"{where}.chunk_index", f"It must be from 1 to {n}.")], []
        if not isinstance(proof, str) or not proof.strip('"') or len(proof) > 128:
            return [_invalid(f"{where}.proof", "Give the ETag the chunk upload returned.")], []
        if kind != "etag":
            return [_invalid(f"{where}.proof_type", "The only proof type is `etag`.")], []
        expected = chunk_span(index, chunk_size, total_size)[1]
        if not _is_int(size) or size != expected:
            return [
                _invalid(f"{where}.chunk_size", f"Chunk {index} is {expected} bytes, not {size}.")
            ], []
        out.append((index, proof.strip('"').lower(), size))
    return [], out


def missing_chunks(total: int, completed: Sequence[int]) -> list[int]:
    """The chunk numbers (1-based) not in ``completed``, in order."""
    done = set(completed)
    return [i for i in range(1, total + 1) if i not in done]
