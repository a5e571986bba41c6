"""``POST /embed-v2``: sync embeddings of text, images, audio, video and combinations.

The body is read with a size bound, checked by the shared rules, each media source is
put on disk (``v2_sources``), and the work runs on the media executor while the request
waits. Errors use the v2 shape (the middleware picks it by path).
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from ...rules import embed_v2_limits as L
from ...rules.embed_v2 import (
    V2Request,
    base64_size_violations,
    engine_violations,
    parse_request,
    source_kind,
)
from ..app_keys import ASSETS, EXECUTOR, FETCHER, SETTINGS
from ..executors.base import WorkerCrashed, WorkerTimedOut
from ..media.task_job import JobRefused
from ..media.v2_vectors import AvResult, combined_vector, embed_av
from ..media_names import v2_source
from ..settings import discard
from ..v2_sources import LocalMedia, materialize
from ..v2_work import av_spec, combined_spec, options_of
from . import v2_bodies as bodies
from .problems import ApiProblem, from_violations

JSON = "application/json"


async def read_json(request: web.Request, limit: int) -> Any:
    """The JSON body, read in chunks up to ``limit`` bytes (413 past it, 400 if not JSON)."""
    if request.content_type not in ("application/json", ""):
        raise ApiProblem(
            400,
            "content_type_invalid",
            f"The request body must be application/json, not {request.content_type!r}.",
        )
    data = bytearray()
    while chunk := await request.content.read(1 << 20):
        data += chunk
        if len(data) > limit:
            raise ApiProblem(
                413, "request_too_large", f"The request body is larger than {limit} bytes."
            )
    try:
        if len(data) > 1 << 20:
            return await asyncio.to_thread(orjson.loads, bytes(data))
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ApiProblem(
            400, "parameter_invalid", f"The request body is not valid JSON ({exc})."
        ) from exc


def check(body: Any, mode: str) -> V2Request:
    """The checked request, or the platform's refusal (and then the engine's)."""
    req, found = parse_request(body, "sync" if mode == "sync" else "async")
    if not found and req is not None:
        found = engine_violations(req) or base64_size_violations(req)
    if found or req is None:
        problem = from_violations(found)
        if mode != "sync" and problem.status == 413:
            problem = ApiProblem(400, problem.code, problem.message)
        raise problem
    return req


async def run_job(request: web.Request, fn: Any, spec: Any) -> Any:
    """Run ``fn(spec)`` on the media executor; a refusal or a dead worker is a 400."""
    settings = request.app[SETTINGS]
    try:
        return await request.app[EXECUTOR].run(fn, spec, timeout=settings.job_timeout_sec)
    except JobRefused as exc:
        raise ApiProblem(400, exc.code, exc.message) from exc
    except WorkerCrashed as exc:
        why = "stopped responding" if isinstance(exc, WorkerTimedOut) else "crashed"
        raise ApiProblem(
            400, "video_file_broken", f"{L.TASK_FAILED_MEDIA} (decoding {why})"
        ) from exc


async def create_embeddings(request: web.Request) -> web.Response:
    app = request.app
    settings = app[SETTINGS]
    req = check(await read_json(request, settings.max_json_body), "sync")
    stem = f"sync-{secrets.token_hex(8)}"
    sources = [req.media.source] if req.media is not None else list(req.sources)
    local: list[LocalMedia] = []
    try:
        for i, source in enumerate(sources):
            kind = source_kind(req, source)
            local.append(
                await materialize(
                    source,
                    v2_source(settings.media_dir, f"{stem}-{i}"),
                    kind=kind,
                    model=req.model_name,
                    mode="sync",
                    parameter=_parameter(req, i),
                    fetcher=app[FETCHER],
                    assets=app[ASSETS],
                )
            )
        return await _embed(request, req, local)
    finally:
        for m in local:
            if m.owned:
                discard(m.path)


def _parameter(req: V2Request, i: int) -> str:
    if req.input_type == "multi_input":
        return f"multi_input.media_sources[{i}]"
    return f"{req.input_type}.media_source"


async def _embed(request: web.Request, req: V2Request, local: list[LocalMedia]) -> web.Response:
    encoder = request.app[SETTINGS].encoder
    input_url = local[0].input_url if local else None
    if req.media is not None:
        result: AvResult = await run_job(request, embed_av, av_spec(req, local[0].path, encoder))
        rows = bodies.rows_from_bytes(
            (r.start_sec, r.end_sec, r.embedding_option, r.embedding_scope, r.vector)
            for r in result.rows
        )
        md = bodies.media_metadata(
            req, duration=result.duration, options=options_of(req), input_url=input_url
        )
        return _ok(bodies.success_body(rows, md, None))
    text, truncated = req.text, False
    if text is not None and L.count_tokens(text) > L.MAX_TEXT_TOKENS[req.model_name]:
        text, truncated = L.truncate_tokens(text, L.MAX_TEXT_TOKENS[req.model_name]), True
    kinds = [source_kind(req, s) for s in req.sources]
    paths: list[tuple[str, Path]] = [(k, m.path) for k, m in zip(kinds, local, strict=True)]
    vector = await run_job(request, combined_vector, combined_spec(req, text, paths, encoder))
    rows = bodies.rows_from_bytes([(None, None, None, None, vector)])
    md = bodies.media_metadata(req, duration=None, options=(), input_url=input_url)
    usage = bodies.usage(req, text=text, truncated=truncated, media_seconds=0.0)
    return _ok(bodies.success_body(rows, md, usage))


def _ok(body: bytes) -> web.Response:
    return web.Response(body=body, content_type=JSON)
