"""What every resource shares: request options, and turning a response into a model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, TypeVar
from urllib.parse import quote

import cattrs
import orjson

from .._bytes_body import BytesBody
from .._converter import structure
from .._transport import Request, Response, Transport
from .._upload import MultipartBody, UploadProgress
from ..errors import ApiResponseValidationError
from ..types.http_response import HttpResponse

T = TypeVar("T")


class RequestOptions(TypedDict, total=False):
    """Per-call overrides, with the official SDK's key names."""

    timeout_in_seconds: float
    """Each connect and each read (the client's ``timeout`` for this call)."""
    deadline_in_seconds: float
    """The whole call, retries included (the client's ``deadline`` for this call)."""
    max_retries: int
    additional_headers: Mapping[str, str]
    additional_query_parameters: Mapping[str, str]


def path_segment(value: str) -> str:
    """Escape an id for a URL path so ``/``, ``?`` and ``#`` cannot change the route."""
    if not isinstance(value, str) or not value or value in (".", ".."):
        raise ValueError(f"task_id must be a non-empty string other than . and .., not {value!r}")
    return quote(value, safe="")


def build_request(
    method: str,
    path: str,
    *,
    params: Sequence[tuple[str, str]] | None = None,
    body: MultipartBody | BytesBody | None = None,
    options: RequestOptions | None = None,
    on_upload_progress: UploadProgress | None = None,
) -> Request:
    opts = options or {}
    query = list(params or [])
    extra = opts.get("additional_query_parameters")
    if extra:
        query.extend((k, str(v)) for k, v in extra.items())
    return Request(
        method,
        path,
        params=query or None,
        body=body,
        timeout=opts.get("timeout_in_seconds"),
        deadline=opts.get("deadline_in_seconds"),
        max_retries=opts.get("max_retries"),
        on_upload_progress=on_upload_progress,
        headers=opts.get("additional_headers"),
    )


def parse(resp: Response, cls: type[T]) -> T:
    """Decode a 2xx body into ``cls``; a body that breaks the schema is a typed error."""
    try:
        data: Any = orjson.loads(resp.content)
    except orjson.JSONDecodeError as exc:
        text = resp.content[:500].decode("utf-8", errors="replace")
        raise ApiResponseValidationError(
            f"HTTP {resp.status} response is not JSON: {text!r}",
            status_code=resp.status,
            body=text,
            headers=resp.headers,
        ) from exc
    try:
        return structure(data, cls)
    except (cattrs.BaseValidationError, TypeError, ValueError) as exc:
        detail = (
            "; ".join(cattrs.transform_error(exc))
            if isinstance(exc, cattrs.BaseValidationError)
            else str(exc)
        )
        raise ApiResponseValidationError(
            f"HTTP {resp.status} response does not match {cls.__name__}: {detail}",
            status_code=resp.status,
            body=data,
            headers=resp.headers,
        ) from exc


async def send(transport: Transport, request: Request, cls: type[T]) -> HttpResponse[T]:
    """Send ``request`` (with the transport's retries) and parse the 2xx body as ``cls``."""
    response = await transport.send(request)
    return HttpResponse(parse(response, cls), response.status, response.headers, response.attempts)
