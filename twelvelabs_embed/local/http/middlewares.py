"""Errors to JSON, authentication, and the headers every response carries.

Every answer is ``{"code", "message"}`` JSON: refusals (``ApiProblem``), aiohttp's own
routing errors (404/405, never HTML) and, as a last resort, unexpected exceptions
(500, logged with a request id that is also returned to the client).
"""

from __future__ import annotations

import errno
import hmac
import logging
import secrets
import sqlite3
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..app_keys import SETTINGS
from ..settings import API_PREFIX, API_VERSION
from .bodies import error_body, v2_error_body
from .problems import ApiProblem
from .server import OverloadLog

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REQUEST_ID = web.RequestKey("request_id", str)
OPEN_PATHS = frozenset({f"{API_PREFIX}/openapi.json"})
OPEN_ROUTES = frozenset({"upload_chunk"})
"""Routes whose URL carries its own credential (presigned chunk PUTs, ``routes.py``)."""

_HTTP_CODES = {
    404: ("not_found", "The requested URL {path} was not found."),
    405: ("method_not_allowed", "The method {method} is not allowed for {path}."),
    413: ("request_too_large", "The request body is too large."),
}


CLIENT_CLOSED_REQUEST = 499
"""What the request log says of a request whose client left before the answer (never sent)."""
V2_PREFIX = f"{API_PREFIX}/embed-v2"
V2_LIST = f"{API_PREFIX}/embed-v2/tasks"


def wants_v2_errors(request: web.Request) -> bool:
    """Embed API v2 answers errors as ``{"error": {...}}``, except the task list, whose
    400 is documented in the flat v1 shape."""
    path = request.path.rstrip("/")
    if not path.startswith(V2_PREFIX):
        return False
    return not (request.method == "GET" and path == V2_LIST)


def json_error(
    status: int,
    code: str,
    message: str,
    *,
    v2: bool = False,
    details: dict[str, object] | None = None,
) -> web.Response:
    body = v2_error_body(code, message, details) if v2 else error_body(code, message)
    return web.Response(status=status, body=body, content_type="application/json")


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = secrets.token_hex(8)
    request[REQUEST_ID] = request_id
    v2 = wants_v2_errors(request)
    try:
        response = await handler(request)
        if OUT_OF_FILES.active:
            OUT_OF_FILES.clear()
    except ConnectionResetError:
        if not _client_gone(request):
            internal = _internal_error(request, request_id)
            response = json_error(internal.status, internal.code, internal.message, v2=v2)
        else:  # the client went away mid-request (closed, cancelled, timed out)
            log.debug("request %s %s: the client disconnected", request.method, request.path)
            response = web.Response(status=CLIENT_CLOSED_REQUEST)  # never sent
    except ApiProblem as p:
        response = json_error(p.status, p.code, p.message, v2=v2, details=p.details)
        if p.code == "video_filesize_too_large" or p.status in (408, 413):
            response.force_close()  # do not read the rest of an oversized or slow body
    except (OSError, sqlite3.OperationalError) as exc:
        storage = out_of_files_problem(exc)  # logged once per episode, not per request
        if storage is None:
            storage = storage_problem(exc)
            if storage is None:
                storage = _internal_error(request, request_id)
            else:
                log.error("request %s %s: %s (%s)", request.method, request.path, storage, exc)
        response = json_error(storage.status, storage.code, storage.message, v2=v2)
        response.force_close()  # the rest of an upload may still be on its way
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, template = _HTTP_CODES.get(exc.status, (f"http_{exc.status}", exc.reason))
        response = json_error(
            exc.status, code, template.format(path=request.path, method=request.method), v2=v2
        )
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
    except Exception:
        problem = _internal_error(request, request_id)
        response = json_error(problem.status, problem.code, problem.message, v2=v2)
    response.headers.setdefault("X-Request-Id", request_id)  # an injected fault may set its own
    return response


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _internal_error(request: web.Request, request_id: str) -> ApiProblem:
    """Log the traceback (call inside ``except``) and say only the request id outside."""
    log.exception("request %s %s failed (request id %s)", request.method, request.path, request_id)
    return ApiProblem(
        500, "internal_error", f"The engine hit an unexpected error. Request id: {request_id}."
    )


STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})
OUT_OF_FILES = OverloadLog("the engine ran out of file descriptors")


def out_of_files_problem(exc: BaseException) -> ApiProblem | None:
    """503 (logged once per episode, not per request) when the process or the system is
    out of file descriptors; ``None`` for any other error."""
    if not isinstance(exc, OSError) or exc.errno not in (errno.EMFILE, errno.ENFILE):
        return None
    OUT_OF_FILES.hit(str(exc.strerror))
    return ApiProblem(
        503, "service_unavailable", "The engine is out of open files right now; retry shortly."
    )


def storage_problem(exc: BaseException) -> ApiProblem | None:
    """507 for a data dir that cannot take more bytes (full disk, quota, file-size
    limit, read-only file system); ``None`` for any other error."""
    full = isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS
    full = full or (isinstance(exc, sqlite3.OperationalError) and "full" in str(exc))
    if not full:
        return None
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return ApiProblem(
        507,
        "insufficient_storage",
        f"The engine cannot store the request: {why}. Free space in its data directory "
        "and try again.",
    )


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """``x-api-key`` must match the configured key (constant-time); no key = open engine."""
    expected = request.app[SETTINGS].api_key
    open_route = request.match_info.route.name in OPEN_ROUTES
    if expected is not None and request.path not in OPEN_PATHS and not open_route:
        sent = request.headers.get("x-api-key", "")
        if not hmac.compare_digest(_b(sent), _b(expected)):
            raise ApiProblem(
                401,
                "api_key_invalid",
                "API Key is either invalid or expired. Please check your API key and try again.",
            )
    return await handler(request)


async def add_version_header(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every response says which API version answered."""
    response.headers["X-Api-Version"] = API_VERSION


def _b(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")
