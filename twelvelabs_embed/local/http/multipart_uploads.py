"""``/assets/multipart-uploads`` handlers, and the presigned chunk ``PUT`` they hand out.

The chunk ``PUT`` is the one API route without ``x-api-key``: its URL's signature is the
credential (``presign.py``), as with an object store's presigned URLs.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from ..app_keys import CLOCK, UPLOADS
from . import asset_bodies
from .admission import check_declared, check_space, keyed_with_limit
from .assets import json_response, origin, page_params
from .problems import ApiProblem

READ_PIECE = 256 * 1024
JSON_BODY_LIMIT = 1024 * 1024
"""The largest JSON body of these routes (a report of 1,000 chunks is about 80 KB)."""


def json_too_large() -> ApiProblem:
    return ApiProblem(
        413, "request_too_large", f"The request body is larger than {JSON_BODY_LIMIT} bytes."
    )


admit_json = keyed_with_limit(lambda _request: JSON_BODY_LIMIT, json_too_large)
"""The JSON routes' expect handler's checks: the key, then the declared size."""


async def admit_chunk(request: web.Request) -> None:
    """The chunk ``PUT``'s expect handler's checks: the URL's signature (its credential),
    the declared length against the chunk's own, then the disk budget."""
    index = _chunk_index(request)
    request.app[UPLOADS].check_signature(
        _upload_id(request),
        index,
        request.query.get("expires", ""),
        request.query.get("signature", ""),
    )
    await request.app[UPLOADS].chunk_span(_upload_id(request), index, request.content_length)
    check_space(request)


def _chunk_index(request: web.Request) -> int:
    text = request.match_info["chunk_index"]
    return int(text) if text.isdigit() and len(text) < 9 else 0


async def _json_body(request: web.Request) -> Any:
    check_declared(request, JSON_BODY_LIMIT, json_too_large)  # before a byte is read
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError as exc:
        raise ApiProblem(400, "parameter_invalid", "The request body is not valid JSON.") from exc


def _upload_id(request: web.Request) -> str:
    return request.match_info["upload_id"]


async def create_upload(request: web.Request) -> web.Response:
    """``POST /assets/multipart-uploads``: a session and its first presigned URLs."""
    upload, urls = await request.app[UPLOADS].create(await _json_body(request), origin(request))
    return json_response(asset_bodies.upload_created(upload, urls), status=201)


async def list_incomplete(request: web.Request) -> web.Response:
    page, limit = page_params(request)
    items, total = await request.app[UPLOADS].incomplete((page - 1) * limit, limit)
    return json_response(asset_bodies.incomplete(items, page, limit, total))


async def get_status(request: web.Request) -> web.Response:
    page, limit = page_params(request)
    status = await request.app[UPLOADS].status(_upload_id(request), (page - 1) * limit, limit)
    return json_response(asset_bodies.status(status, page, limit))


async def report_chunks(request: web.Request) -> web.Response:
    uploads = request.app[UPLOADS]
    upload, outcome = await uploads.report(_upload_id(request), await _json_body(request))
    return json_response(asset_bodies.report(upload, outcome, origin(request)))


async def presigned_urls(request: web.Request) -> web.Response:
    uploads = request.app[UPLOADS]
    body = await _json_body(request)
    upload, urls = await uploads.additional_urls(_upload_id(request), body, origin(request))
    now = request.app[CLOCK].now_ms()
    return json_response(asset_bodies.more_urls(upload, urls[0].chunk_index, urls, now))


async def put_chunk(request: web.Request) -> web.Response:
    """``PUT`` to a presigned URL: 200 with the chunk's ``ETag`` (its MD5, quoted)."""
    uploads = request.app[UPLOADS]
    index = _chunk_index(request)
    uploads.check_signature(
        _upload_id(request),
        index,
        request.query.get("expires", ""),
        request.query.get("signature", ""),
    )
    etag = await uploads.receive_chunk(
        _upload_id(request),
        index,
        request.content_length,
        request.content.iter_chunked(READ_PIECE),
        request.headers.get("Content-MD5"),
    )
    return web.Response(status=200, headers={"ETag": f'"{etag}"'})
