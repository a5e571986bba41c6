"""``/assets`` handlers: create (direct upload or URL), list, retrieve, delete.

Parsing and rendering only: the assets themselves are :class:`~..assets.AssetService`'s,
the limits are ``rules.assets``', the JSON shapes ``asset_bodies``'.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import BinaryIO

import orjson
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.multipart import BadContentDispositionHeader, BadContentDispositionParam

from ..._aio import to_thread
from ...rules import assets as rules
from ...video_rules import MAX_PAGE
from ..app_keys import ASSET_SERVICE, UPLOAD_SPACE
from ..assets import guess_type
from ..settings import discard
from ..upload_space import UploadHold
from . import asset_bodies
from .admission import FORM_OVERHEAD, check_declared, check_key, check_space
from .problems import ApiProblem, bad_request, from_violations, invalid
from .task_form import MAX_PARTS, WRITE_BATCH, _drain, _read_text, safe_filename

JSON = "application/json"
_ID = re.compile(r"^[0-9a-f]{24}$")


DIRECT_BODY_LIMIT = rules.DIRECT_MAX_BYTES + FORM_OVERHEAD
"""The largest ``POST /assets`` body: the largest direct file, plus the form around it."""


def direct_too_large() -> ApiProblem:
    return ApiProblem(
        400,
        "asset_filesize_too_large",
        f"A direct upload may be at most {rules.DIRECT_MAX_BYTES // rules.MB} MB;"
        " use a multipart upload (`POST /assets/multipart-uploads`) for larger files.",
    )


async def admit_create(request: web.Request) -> None:
    """``POST /assets``' expect handler's checks: the key, the declared size, then the
    disk budget of uploads in flight."""
    check_key(request)
    check_declared(request, DIRECT_BODY_LIMIT, direct_too_large)
    check_space(request)


def json_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON)


def origin(request: web.Request) -> str:
    """Where this engine was reached (for URLs that point back at it)."""
    try:
        return str(request.url.origin())
    except ValueError:  # a Host header yarl cannot parse
        sock = request.transport.get_extra_info("sockname") if request.transport else None
        host, port = (sock or ("127.0.0.1", 80))[:2]
        return f"http://{host}:{port}"


def page_params(request: web.Request) -> tuple[int, int]:
    """``page`` (from 1) and ``page_limit`` (1-50, default 10); empty means absent."""
    out = []
    for name, default, top in (
        ("page", 1, MAX_PAGE),
        ("page_limit", 10, rules.MAX_URLS_PER_REQUEST),
    ):
        text = request.query.get(name, "").strip()
        if not text:
            out.append(default)
            continue
        if not text.isdigit() or not 1 <= int(text) <= top:
            raise invalid(name, f"`{name}` must be a whole number from 1 to {top}.")
        out.append(int(text))
    return out[0], out[1]


def _bool(name: str, text: str | None) -> bool | None:
    if text is None or not text.strip():
        return None
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise invalid(name, f"`{name}` must be true or false.")
    return value == "true"


def _metadata(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise invalid("user_metadata", "It must be a JSON object, sent as a string.") from exc
    violations = rules.check_user_metadata(value) if value is not None else []
    if value is None or not isinstance(value, dict):
        violations = violations or rules.check_user_metadata("not an object")
    if violations:
        raise from_violations(violations)
    return orjson.dumps(value).decode()


def _write(f: BinaryIO, data: bytes) -> None:
    f.write(data)


async def _save(part: BodyPartReader, dest: Path, hold: UploadHold) -> int:
    size = 0
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        batch = bytearray()
        while chunk := await part.read_chunk(256 * 1024):
            size += len(chunk)
            if size > rules.DIRECT_MAX_BYTES:
                raise direct_too_large()
            hold.grow_to(size)  # no more disk than uploads in flight may share
            batch += chunk
            if len(batch) >= WRITE_BATCH:
                await to_thread(_write, f, bytes(batch))
                batch.clear()
        if batch:
            await to_thread(_write, f, bytes(batch))
    return size


async def _read_form(
    request: web.Request, dest: Path, hold: UploadHold
) -> tuple[dict[str, str], int | None, str | None, str | None]:
    """Text fields, and the file's size, name and declared type (``None`` size: no file)."""
    if request.content_type == "application/x-www-form-urlencoded":  # a URL asset, no file
        posted = await request.post()
        return (
            {k: v.strip() for k, v in posted.items() if isinstance(v, str) and v.strip()},
            None,
            None,
            None,
        )
    if request.content_type != "multipart/form-data":
        raise bad_request("content_type_invalid", "The request body must be multipart/form-data.")
    fields: dict[str, str] = {}
    size, filename, declared = None, None, None
    try:
        reader = await request.multipart()
        for _ in range(MAX_PARTS + 1):
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                raise bad_request("content_type_invalid", "Nested multipart is not supported.")
            if part.name == "file":
                if size is not None:
                    await _drain(part)
                    continue
                size = await _save(part, dest, hold)
                filename, declared = safe_filename(part.filename), part.headers.get("Content-Type")
                continue
            value = await _read_text(part)
            if value.strip() and part.name and part.name not in fields:
                fields[part.name] = value.strip()
        else:
            raise bad_request("parameter_invalid", f"The form has more than {MAX_PARTS} parts.")
    except ApiProblem:
        raise
    except (ValueError, AssertionError, KeyError, LookupError, RuntimeError, HttpProcessingError,
            BadContentDispositionHeader, BadContentDispositionParam) as exc:  # fmt: skip
        raise bad_request(
            "content_type_invalid",
            f"The request body is not valid multipart/form-data ({type(exc).__name__}).",
        ) from exc
    return fields, size, filename, declared


async def create_asset(request: web.Request) -> web.Response:
    """``POST /assets``: ``method=direct`` with ``file``, or ``method=url`` with ``url``."""
    check_declared(request, DIRECT_BODY_LIMIT, direct_too_large)  # before a byte is read
    service = request.app[ASSET_SERVICE]
    asset_id = service.new_id()
    dest = service.path_for(asset_id)
    try:
        with request.app[UPLOAD_SPACE].hold(request.content_length) as hold:
            fields, size, part_name, declared = await _read_form(request, dest, hold)
        method = fields.get("method")
        if method is None:
            raise bad_request(
                "parameter_not_provided", "The `method` parameter is required but was not provided."
            )
        if method not in rules.ASSET_METHODS:
            raise invalid("method", "Use `direct` or `url`.")
        name = safe_filename(fields.get("filename")) or part_name
        meta = _metadata(fields.get("user_metadata"))
        for flag in ("enable_hls", "enable_thumbnail"):
            _bool(flag, fields.get(flag))
        if method == "direct":
            if not size:
                raise bad_request(
                    "parameter_not_provided",
                    "The `file` parameter is required when `method` is `direct`.",
                )
            mime, kind = guess_type(name, declared)
            record = service.record(asset_id, "direct", filename=name or "upload", media_type=kind,
                                    file_type=mime, user_metadata=meta)  # fmt: skip
            await service.add_direct(record, size)
        else:
            discard(dest)
            url = fields.get("url")
            if not url:
                raise bad_request(
                    "parameter_not_provided",
                    "The `url` parameter is required when `method` is `url`.",
                )
            if len(url) > 4096:
                raise invalid("url", "The URL is longer than 4096 characters.")
            name = name or safe_filename(url.split("?", 1)[0])
            mime, kind = guess_type(name)
            record = service.record(asset_id, "url", filename=name, media_type=kind,
                                    file_type=mime, user_metadata=meta, input_url=url)  # fmt: skip
            await service.add_url(record)
    except BaseException:
        discard(dest)
        raise
    return json_response(orjson.dumps(asset_bodies.asset(record)), status=201)


async def list_assets(request: web.Request) -> web.Response:
    page, limit = page_params(request)
    ids = [i for v in request.query.getall("asset_ids", []) for i in v.split(",") if i.strip()]
    types = [t for v in request.query.getall("asset_types", []) for t in v.split(",") if t.strip()]
    bad = [t for t in types if t not in rules.ASSET_TYPES]
    if bad:
        raise invalid("asset_types", f"Use {', '.join(rules.ASSET_TYPES)}, not {bad[0][:40]!r}.")
    if len(ids) > 50 or not all(_ID.match(i) for i in ids):
        raise invalid("asset_ids", "Give at most 50 ids of 24 hexadecimal characters.")
    filename = request.query.get("filename", "").strip()[:255] or None
    items, total = await request.app[ASSET_SERVICE].store.list_assets(
        ids=ids, types=types, filename=filename, offset=(page - 1) * limit, limit=limit
    )
    return json_response(asset_bodies.asset_list(items, page, limit, total))


async def retrieve_asset(request: web.Request) -> web.Response:
    asset = await request.app[ASSET_SERVICE].get(request.match_info["asset_id"])
    return json_response(orjson.dumps(asset_bodies.asset(asset)))


async def delete_asset(request: web.Request) -> web.Response:
    force = _bool("force", request.query.get("force")) is True
    await request.app[ASSET_SERVICE].delete(request.match_info["asset_id"], force=force)
    return web.Response(status=204)
