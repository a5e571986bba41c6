"""Lenient, streaming parsing of the create form (``POST /embed/tasks``).

Tolerates what real clients send (facts §1.1/§7.3): repeated ``video_embedding_scope``
parts, numbers as ``6`` or ``6.0``, empty parts meaning "absent", ``video_url`` sent as a
file part (SDK 0.4), unknown extra fields. The video streams to disk under a name the
engine chooses, and is cut off one byte past the size limit.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from pathlib import Path
from typing import Any, BinaryIO

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.multipart import BadContentDispositionHeader, BadContentDispositionParam

from ... import video_rules
from ..._aio import to_thread
from ..intake import CreateForm
from ..settings import discard
from ..upload_space import UploadHold, UploadSpace
from .admission import check_declared_size
from .problems import ApiProblem, bad_request, from_violations, invalid

TEXT_FIELD_LIMIT = 64 * 1024
"""A text part longer than this is refused (a URL or a number is far shorter)."""
MAX_PARTS = 256
"""More parts than this is not a real client; refusing keeps memory bounded."""
WRITE_BATCH = 1 << 20
NUMBER_FIELDS = ("video_start_offset_sec", "video_end_offset_sec", "video_clip_length")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def safe_filename(name: str | None) -> str | None:
    """The basename only, without control characters; never used as a path."""
    if not name:
        return None
    base = _UNSAFE.sub("", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if base in ("", ".", ".."):
        return None
    return base[:255]


def parse_number(field: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise invalid(field, f"`{field}` must be a number, not {text[:40]!r}.") from None
    if not math.isfinite(value):
        raise invalid(field, f"`{field}` must be a finite number.")
    return value


async def _read_text(part: BodyPartReader) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(8192):
        data += chunk
        if len(data) > TEXT_FIELD_LIMIT:
            raise invalid(
                part.name or "form", f"The value is longer than {TEXT_FIELD_LIMIT} bytes."
            )
    try:
        return part.decode(bytes(data)).decode(part.get_charset("utf-8"))
    except (UnicodeDecodeError, LookupError, ValueError) as exc:
        raise invalid(part.name or "form", "The value is not valid text.") from exc


async def _drain(part: BodyPartReader) -> None:
    while await part.read_chunk(WRITE_BATCH):
        pass


def _write(f: BinaryIO, digest: Any, data: bytes) -> None:
    f.write(data)
    digest.update(data)


async def _save_file(
    part: BodyPartReader, dest: Path, max_size: int, hold: UploadHold | None
) -> tuple[int, str]:
    """Stream one file part to ``dest``; refuses past ``max_size`` (or past what uploads
    in flight may hold, ``hold``) and removes the file. Returns its size and SHA-256 (hex)."""
    size = 0
    digest = hashlib.sha256()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        batch = bytearray()
        while chunk := await part.read_chunk(256 * 1024):
            size += len(chunk)
            if size > max_size:
                raise from_violations(video_rules.check_file_size(size, max_size, lower_bound=True))
            batch += chunk
            if hold is not None:
                hold.grow_to(size)
            if len(batch) >= WRITE_BATCH:
                await to_thread(_write, f, digest, bytes(batch))
                batch.clear()
        if batch:
            await to_thread(_write, f, digest, bytes(batch))
    return size, digest.hexdigest()


def _check_content_type(request: web.Request) -> bool:
    """True for a multipart body, False for an empty body; refuses anything else."""
    ctype = request.content_type
    has_body = request.body_exists
    if ctype == "multipart/form-data":
        return has_body
    if not has_body and ctype in ("application/octet-stream", ""):
        return False  # an SDK retry: no body, no content type
    raise bad_request(
        "content_type_invalid",
        f"The request body must be multipart/form-data, not {ctype or 'empty'!r}.",
    )


async def read_create_form(
    request: web.Request, upload_path: Path, max_size: int, space: UploadSpace | None = None
) -> CreateForm:
    """Parse the form; the video (if any) is written to ``upload_path``.

    Raises:
        ApiProblem: 400 with the platform code for a malformed body or a too-large file
            (declared too large: before the body is read); 503/507 when the disk for
            uploads in flight is used up. Nothing is left at ``upload_path`` when it raises.
    """
    check_declared_size(request)  # before a byte of the body is read
    try:
        if space is None:
            return await _read(request, upload_path, max_size, None)
        with space.hold(request.content_length) as hold:
            return await _read(request, upload_path, max_size, hold)
    except BaseException:
        discard(upload_path)
        raise


async def _read(
    request: web.Request, upload_path: Path, max_size: int, hold: UploadHold | None
) -> CreateForm:
    fields: dict[str, str] = {}
    scopes: list[str] = []
    file_size, has_file, filename, sha256 = 0, False, None, None
    if _check_content_type(request):
        try:
            reader = await request.multipart()
            count = 0
            while (part := await reader.next()) is not None:
                count += 1
                if count > MAX_PARTS:
                    raise bad_request(
                        "parameter_invalid", f"The form has more than {MAX_PARTS} parts."
                    )
                if not isinstance(part, BodyPartReader):
                    raise bad_request("content_type_invalid", "Nested multipart is not supported.")
                name = part.name or ""
                if name == "video_file":
                    if fields.get("video_url") or has_file:
                        await _drain(part)  # the URL wins; a second file is ignored
                        continue
                    file_size, sha256 = await _save_file(part, upload_path, max_size, hold)
                    filename = safe_filename(part.filename)
                    # An empty part without a filename is an explicit "no file" (None).
                    has_file = file_size > 0 or part.filename is not None
                    if not has_file:
                        discard(upload_path)
                    continue
                value = await _read_text(part)
                if name == "video_embedding_scope":
                    if value.strip():
                        scopes.append(value.strip())
                elif value.strip() and not fields.get(name):
                    fields[name] = value.strip()
        except ApiProblem:
            raise
        except (
            ValueError,
            AssertionError,
            KeyError,
            LookupError,
            RuntimeError,
            HttpProcessingError,  # a part header aiohttp's parser refuses
            # aiohttp warns about these; under ``-W error`` the warning is raised
            BadContentDispositionHeader,
            BadContentDispositionParam,
        ) as exc:
            raise bad_request(
                "content_type_invalid",
                f"The request body is not valid multipart/form-data ({type(exc).__name__}).",
            ) from exc
    if fields.get("video_url") and has_file:
        discard(upload_path)  # the file came first; the URL still wins
        has_file, file_size, filename, sha256 = False, 0, None, None
    numbers = {f: parse_number(f, fields[f]) for f in NUMBER_FIELDS if f in fields}
    params = video_rules.CreateParams(
        model_name=fields.get("model_name"),
        video_url=fields.get("video_url"),
        has_file=has_file,
        video_start_offset_sec=numbers.get("video_start_offset_sec"),
        video_end_offset_sec=numbers.get("video_end_offset_sec"),
        video_clip_length=numbers.get("video_clip_length"),
        video_embedding_scope=tuple(scopes) if scopes else None,
    )
    return CreateForm(
        params,
        upload_path if has_file else None,
        file_size,
        filename,
        sha256 if has_file else None,
        fields,
    )
