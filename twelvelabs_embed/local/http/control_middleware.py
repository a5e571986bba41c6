"""The test double's hooks on API requests (only with ``control=True``).

``request_log_middleware`` (outermost) records every API request with the status it
finally got. ``fault_middleware`` (after authentication, so a request without the key
is never faulted, limited or steered) applies, in order: an ``X-Engine-Fault`` header or
the first fault rule that strikes, then the rate limits, then the handler, then a
``phase: "after"`` fault, and puts the ``x-ratelimit-*`` headers on the answer.
Requests to the control plane itself pass untouched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..app_keys import CONTROL, CREATE_FORM, CREATED_TASK, LOG_ENTRY, TOUCHED_TASK
from ..control.faults import FaultAction, FaultSpecError, parse_header
from ..control.limits import Refusal
from ..control.request_log import UploadDigest
from ..settings import CONTROL_PREFIX
from .middlewares import json_error, wants_v2_errors
from .problems import ApiProblem

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FAULT_HEADER = "X-Engine-Fault"
INJECTED_HEADER = "X-Engine-Injected"
"""On every answer a fault produced: the rule's id (``header`` for ``X-Engine-Fault``)."""
UPLOAD_READ_CHUNK = 64 * 1024


def _is_control(request: web.Request) -> bool:
    return request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/")


@web.middleware
async def request_log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _is_control(request):
        return await handler(request)
    plane = request.app[CONTROL]
    entry = plane.requests.start(
        plane.clock.now_ms(),
        request.method,
        request.path,
        request.match_info.route.name,
        list(request.query.items()),
    )
    request[LOG_ENTRY] = entry
    started = time.perf_counter()
    try:
        response = await handler(request)
        if not entry.dropped:
            entry.status = response.status
        return response
    finally:
        entry.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        entry.task_id = request.get(TOUCHED_TASK)
        form = request.get(CREATE_FORM)
        if form is not None:
            fields = dict(form.fields)
            if form.params.video_embedding_scope:
                fields["video_embedding_scope"] = ",".join(form.params.video_embedding_scope)
            entry.form = fields
            if form.sha256 is not None:
                entry.upload = UploadDigest(form.input_filename, form.file_size, form.sha256)


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _is_control(request):
        return await handler(request)
    plane = request.app[CONTROL]
    route = request.match_info.route.name or "unmatched"
    now = plane.clock.now_ms()
    action, fault_id, phase = _fault_for(request, route, now)
    entry = request.get(LOG_ENTRY)
    if entry is not None and action is not None:
        entry.fault = fault_id
    if action is not None and action.latency_ms:
        await asyncio.sleep(action.latency_ms / 1000)  # real time: a slow network, not the clock
    if (
        action is not None
        and action.answers
        and (phase == "before" or action.abort_upload_after_bytes is not None)
    ):
        return await _answer(request, action, fault_id)
    refusal = plane.limits.admit(route, now)
    if refusal is not None:
        if entry is not None:
            entry.rate_limited = True
        response: web.StreamResponse = _too_many_requests(refusal, wants_v2_errors(request))
    else:
        response = await handler(request)
        created = request.get(CREATED_TASK)
        if created is not None and created.duration is not None:
            plane.limits.charge_duration(route, created.duration, plane.clock.now_ms())
        if action is not None and action.answers:  # phase "after": the work is done
            return await _answer(request, action, fault_id)
    response.headers.update(plane.limits.headers(route, plane.clock.now_ms()))
    return response


def _fault_for(
    request: web.Request, route: str, now_ms: int
) -> tuple[FaultAction | None, str | None, str]:
    header = request.headers.get(FAULT_HEADER)
    if header is not None:
        try:
            return parse_header(header), "header", "before"
        except FaultSpecError as exc:
            raise ApiProblem(400, "parameter_invalid", f"{FAULT_HEADER}: {exc}") from None
    rule = request.app[CONTROL].faults.strike(route, request.method, now_ms)
    if rule is None:
        return None, None, "before"
    return rule.action, rule.id, rule.phase


async def _answer(
    request: web.Request, action: FaultAction, fault_id: str | None
) -> web.StreamResponse:
    if action.abort_upload_after_bytes is not None:
        await _read_then_drop(request, action.abort_upload_after_bytes)
        return web.Response(status=499)  # never sent: the connection is gone
    if action.drop_connection:
        _drop(request)
        return web.Response(status=499)
    assert action.status is not None
    if action.body is not None:
        response = web.Response(status=action.status, body=action.body)
        response.headers["Content-Type"] = action.content_type or "application/octet-stream"
    else:
        response = json_error(
            action.status, action.code or "", action.message or "", v2=wants_v2_errors(request)
        )
    response.headers.update(action.headers)
    response.headers[INJECTED_HEADER] = fault_id or ""
    if action.cut_body_after_bytes is not None:
        return await _cut_off(request, response, action.cut_body_after_bytes)
    return response


async def _cut_off(request: web.Request, whole: web.Response, keep: int) -> web.StreamResponse:
    """Announce ``whole`` (status, headers, length), send ``keep`` bytes of its body, drop."""
    body = bytes(whole.body) if isinstance(whole.body, bytes | bytearray) else b""
    response = web.StreamResponse(status=whole.status, headers=whole.headers)
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[:keep])
    entry = request.get(LOG_ENTRY)
    if entry is not None:
        entry.status = whole.status  # sent before the drop, unlike a dropped connection's
    _drop(request)
    return response


async def _read_then_drop(request: web.Request, limit: int) -> None:
    """Take ``limit`` bytes of the body (as a server that dies mid-upload would), then
    drop the connection."""
    taken = 0
    while taken < limit:
        chunk = await request.content.read(min(UPLOAD_READ_CHUNK, limit - taken))
        if not chunk:
            break
        taken += len(chunk)
    _drop(request)


def _drop(request: web.Request) -> None:
    entry = request.get(LOG_ENTRY)
    if entry is not None:
        entry.dropped = True
    transport = request.transport
    if transport is not None:
        transport.abort()


def _too_many_requests(refusal: Refusal, v2: bool) -> web.Response:
    lim = refusal.limit
    seconds = refusal.retry_after_ms / 1000
    what = "requests" if lim.dimension == "requests" else "minutes of video"
    amount = int(lim.limit) if lim.dimension == "requests" else round(lim.limit / 60, 3)
    response = json_error(
        429,
        "too_many_requests",
        f"You have exceeded the rate limit ({amount:g} {what} per {lim.window_ms / 1000:g} s)."
        f" Please try again later after {seconds:g} seconds.",
        v2=v2,
    )
    response.headers["Retry-After"] = str(max(1, -(-refusal.retry_after_ms // 1000)))
    response.headers["retry-after-ms"] = str(refusal.retry_after_ms)
    return response
