"""``POST /embed`` (v1 sync): text, image and audio embeddings from one multipart form.

Fields as the official SDK sends them: ``model_name``, ``text``, ``image_url`` or
``image_file``, ``audio_url`` or ``audio_file``, ``audio_start_offset_sec``. A URL wins
over a file of the same kind. Files stream to disk with a size bound; URLs go through the
same guarded fetcher as v1 tasks. Errors use the flat v1 shape.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import Any

import orjson
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.multipart import BadContentDispositionHeader, BadContentDispositionParam

from ...rules import embed_v1_sync as rules
from ..app_keys import EXECUTOR, FETCHER, SETTINGS
from ..executors.base import WorkerCrashed
from ..media.task_job import JobRefused
from ..media.v1_sync import V1SyncResult, V1SyncSpec, embed_v1_sync
from ..media_names import V1_SYNC_PREFIX
from ..settings import discard
from ..url_fetch import FetchFailed
from .problems import ApiProblem, bad_request, from_violations, invalid
from .task_form import parse_number, safe_filename

TEXT_LIMIT = 64 * 1024
MAX_PARTS = 32
FILE_FIELDS = ("image_file", "audio_file")
_FORM_ERRORS = (
    ValueError,
    AssertionError,
    KeyError,
    LookupError,
    RuntimeError,
    HttpProcessingError,
    BadContentDispositionHeader,
    BadContentDispositionParam,
)


async def _text(part: BodyPartReader) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(8192):
        data += chunk
        if len(data) > TEXT_LIMIT:
            raise invalid(part.name or "form", f"The value is longer than {TEXT_LIMIT} bytes.")
    try:
        return bytes(data).decode(part.get_charset("utf-8"))
    except (UnicodeDecodeError, LookupError) as exc:
        raise invalid(part.name or "form", "The value is not valid text.") from exc


async def _save(part: BodyPartReader, dest: Path, name: str) -> int:
    limit = rules.MAX_IMAGE_BYTES if name == "image_file" else rules.MAX_AUDIO_BYTES
    size = 0
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        while chunk := await part.read_chunk(256 * 1024):
            size += len(chunk)
            if size > limit:
                raise from_violations(rules.check_file_size(name, size))
            await asyncio.to_thread(f.write, chunk)
    return size


async def _read_form(
    request: web.Request, paths: dict[str, Path]
) -> tuple[dict[str, str], dict[str, str]]:
    """Text fields, and the file fields saved to ``paths`` (name -> original filename)."""
    if request.content_type != "multipart/form-data":
        raise bad_request(
            "content_type_invalid",
            f"The request body must be multipart/form-data, not {request.content_type!r}.",
        )
    fields: dict[str, str] = {}
    files: dict[str, str] = {}
    try:
        reader = await request.multipart()
        count = 0
        while (part := await reader.next()) is not None:
            count += 1
            if count > MAX_PARTS or not isinstance(part, BodyPartReader):
                raise bad_request("parameter_invalid", "The form has too many or nested parts.")
            name = part.name or ""
            if name in FILE_FIELDS and name not in files:
                size = await _save(part, paths[name], name)
                if size or part.filename:
                    files[name] = safe_filename(part.filename) or "upload"
                continue
            value = (await _text(part)).strip()
            if value and name not in fields:
                fields[name] = value
    except ApiProblem:
        raise
    except _FORM_ERRORS as exc:
        raise bad_request(
            "content_type_invalid",
            f"The request body is not valid multipart/form-data ({type(exc).__name__}).",
        ) from exc
    return fields, files


async def create_embedding(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    stem = settings.media_dir / f"{V1_SYNC_PREFIX}{secrets.token_hex(8)}"
    paths = {name: Path(f"{stem}-{name}") for name in (*FILE_FIELDS, "image_url", "audio_url")}
    try:
        fields, files = await _read_form(request, paths)
        offset = fields.get("audio_start_offset_sec")
        params = rules.SyncEmbedParams(
            model_name=fields.get("model_name"),
            text=fields.get("text"),
            image_url=fields.get("image_url"),
            has_image_file="image_file" in files,
            audio_url=fields.get("audio_url"),
            has_audio_file="audio_file" in files,
            audio_start_offset_sec=(
                parse_number("audio_start_offset_sec", offset) if offset else None
            ),
        )
        found = rules.check_params(params)
        if found:
            raise from_violations(found)
        image = await _media(request, params.image_url, "image_file" in files, paths, "image")
        audio = await _media(request, params.audio_url, "audio_file" in files, paths, "audio")
        spec = V1SyncSpec(
            model_name=params.model_name or "",
            text=params.text,
            image_path=str(image) if image else None,
            audio_path=str(audio) if audio else None,
            audio_start_offset_sec=params.audio_start_offset_sec,
            encoder=settings.encoder,
        )
        try:
            result: V1SyncResult = await request.app[EXECUTOR].run(
                embed_v1_sync, spec, timeout=settings.job_timeout_sec
            )
        except JobRefused as exc:
            raise ApiProblem(400, exc.code, exc.message) from exc
        except WorkerCrashed as exc:
            raise ApiProblem(
                400, "parameter_invalid", f"The media cannot be decoded ({exc})."
            ) from exc
        return web.Response(body=_body(params, files, result), content_type="application/json")
    finally:
        for p in paths.values():
            discard(p)


async def _media(
    request: web.Request, url: str | None, has_file: bool, paths: dict[str, Path], kind: str
) -> Path | None:
    """The URL's download (it wins), else the uploaded file, else ``None``."""
    if url:
        dest = paths[f"{kind}_url"]
        try:
            await request.app[FETCHER].fetch(url, dest)
        except FetchFailed as exc:
            raise ApiProblem(
                400, exc.code, exc.message.replace("video_url", f"{kind}_url")
            ) from exc
        return dest
    return paths[f"{kind}_file"] if has_file else None


def _body(params: rules.SyncEmbedParams, files: dict[str, str], r: V1SyncResult) -> bytes:
    def metadata(kind: str, url: str | None) -> dict[str, Any]:
        return {"input_url": url} if url else {"input_filename": files.get(f"{kind}_file")}

    body: dict[str, Any] = {"model_name": params.model_name}
    if r.text is not None:
        body["text_embedding"] = {"segments": [{"float": _floats(r.text)}]}
    if r.image is not None:
        body["image_embedding"] = {
            "segments": [{"float": _floats(r.image)}],
            "metadata": metadata("image", params.image_url),
        }
    if r.audio:
        body["audio_embedding"] = {
            "segments": [
                {"float": _floats(v), "start_offset_sec": a, "end_offset_sec": b}
                for a, b, v in r.audio
            ],
            "metadata": metadata("audio", params.audio_url),
        }
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)


def _floats(blob: bytes) -> Any:
    import numpy as np

    return np.frombuffer(blob, dtype="<f4")
