"""The HTTP layer: owns the aiohttp session, sends requests, retries, maps errors.

It knows nothing of resources: it sends a :class:`Request` and returns a
:class:`Response` with a 2xx status, or raises an :mod:`errors` class. The session and
its connector are created inside the running loop on first use, never at import time.
"""

from __future__ import annotations

import asyncio
import logging
import platform
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import aiohttp
import attrs
import orjson

from ._bytes_body import BytesBody, BytesPayload
from ._retry import backoff_delay, retry_delay, with_attempts
from ._upload import MultipartBody, StreamingPayload, UploadProgress
from ._version import __version__
from .errors import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    TwelveLabsError,
    make_status_error,
)

log = logging.getLogger("twelvelabs_embed")

USER_AGENT = f"twelvelabs-embed/{__version__} python/{platform.python_version()}"


@attrs.frozen
class Request:
    """One API call as the resource layer describes it; immutable, so retries resend it."""

    method: str
    path: str
    params: Sequence[tuple[str, str]] | None = None
    body: MultipartBody | BytesBody | None = None
    timeout: float | None = None
    max_retries: int | None = None
    on_upload_progress: UploadProgress | None = None
    headers: Mapping[str, str] | None = None
    """Sent with this request only, over the client's own headers."""


@attrs.frozen
class Response:
    status: int
    headers: Mapping[str, str]
    content: bytes
    attempts: int = 1

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")


@contextmanager
def map_exceptions(timeout: float | None) -> Iterator[None]:
    """Turn aiohttp/OS failures into the package's errors; cancellation passes untouched."""
    try:
        yield
    except asyncio.CancelledError:
        raise
    except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise ApiTimeoutError(f"no progress within the timeout of {timeout} s") from exc
    except aiohttp.ClientConnectorError as exc:
        raise ApiConnectionError(
            f"cannot connect to {exc.host}:{exc.port}: {exc.os_error}"
        ) from exc
    except aiohttp.ServerDisconnectedError as exc:
        raise ApiConnectionError("the server closed the connection without a response") from exc
    except aiohttp.ClientPayloadError as exc:
        raise ApiConnectionError(f"the response body was cut short: {exc}") from exc
    except aiohttp.ClientError as exc:
        raise ApiConnectionError(f"{type(exc).__name__}: {exc}") from exc
    except (ConnectionError, OSError) as exc:
        raise ApiConnectionError(f"{type(exc).__name__}: {exc}") from exc


class Transport:
    """Sends requests to one base URL with one API key over one pooled session.

    Args:
        base_url: ends with the API version, e.g. ``https://api.twelvelabs.io/v1.3``.
        timeout: seconds allowed to connect and for each read; ``None`` waits forever.
        max_retries: retries after the first attempt for retryable failures.
        sleep: the coroutine used to wait between attempts (tests and the bulk gate swap it).
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        timeout: float | None,
        max_retries: int,
        headers: Mapping[str, str] | None = None,
        connection_limit: int = 100,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.max_retries = max_retries
        self._connection_limit = connection_limit
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._headers: dict[str, str] = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **(headers or {}),
        }
        if api_key:
            self._headers["x-api-key"] = api_key
        self._timeouts: dict[float | None, aiohttp.ClientTimeout] = {}

    def _client_timeout(self, timeout: float | None) -> aiohttp.ClientTimeout:
        cached = self._timeouts.get(timeout)
        if cached is None:
            cached = aiohttp.ClientTimeout(
                # no connect= bound: it would count the wait for a free pooled connection
                total=None,
                sock_connect=timeout,
                sock_read=timeout,
            )
            self._timeouts[timeout] = cached
        return cached

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise TwelveLabsError("the client is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connection_limit)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                timeout=self._client_timeout(self.timeout),
                json_serialize=lambda o: orjson.dumps(o).decode(),
                auto_decompress=True,
            )
        return self._session

    async def aclose(self) -> None:
        """Close the session and wait for its connections to shut, so no warning is left."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _send_once(self, req: Request, timeout: float | None, attempt: int) -> Response:
        """One attempt: a 2xx :class:`Response`, or the error class for the answer.

        A connection error is marked ``ambiguous`` when the whole body had gone out (the
        server may be creating the task); an upload source that failed raises its own
        :class:`~.errors.UploadError` instead.
        """
        session = self._get_session()
        url = self.base_url + req.path
        data: StreamingPayload | BytesPayload | None = None
        headers = dict(req.headers) if req.headers else None
        if req.body is not None:
            data = req.body.payload(req.on_upload_progress, write_timeout=timeout)
            headers = {**(headers or {}), "Content-Type": req.body.content_type}
        try:
            with map_exceptions(timeout):
                async with session.request(
                    req.method,
                    url,
                    params=req.params,
                    data=data,
                    headers=headers,
                    timeout=self._client_timeout(timeout),
                    allow_redirects=req.method == "GET",
                ) as resp:
                    content = await resp.read()
                    # aiohttp's header proxy is already case-insensitive: no copy needed
                    response = Response(resp.status, resp.headers, content, attempt + 1)
        except ApiConnectionError as exc:
            if data is not None and data.failure is not None:
                raise data.failure from exc
            exc.ambiguous = data is not None and data.completed
            raise
        if not 200 <= response.status < 300:
            raise make_status_error(response.status, _decode_error(content), response.headers)
        return response

    async def send(self, req: Request) -> Response:
        """Send with retries; return a 2xx :class:`Response` or raise an error class.

        A retried upload is rebuilt from the same :class:`MultipartBody`, so the server
        receives the identical bytes (same boundary, every form field, the whole file).
        """
        timeout = self.timeout if req.timeout is None else req.timeout
        max_retries = self.max_retries if req.max_retries is None else req.max_retries

        def retry_in(exc: Exception, attempt: int) -> float | None:
            if attempt >= max_retries or not self._can_resend(req):
                return None
            if isinstance(exc, ApiConnectionError):
                # A timeout after the whole body went out may still be creating a task on
                # the server: resending it could create a second one.
                if isinstance(exc, ApiTimeoutError) and exc.ambiguous:
                    return None
                delay = backoff_delay(attempt)
            elif isinstance(exc, ApiError) and exc.retryable:
                delay = retry_delay(attempt, exc.headers)
            else:
                return None
            log.info("retrying %s %s in %.2fs after %s", req.method, req.path, delay, exc)
            return delay

        return await with_attempts(
            lambda attempt: self._send_once(req, timeout, attempt), retry_in, sleep=self._sleep
        )

    @staticmethod
    def _can_resend(req: Request) -> bool:
        return req.body is None or req.body.replayable


def _decode_error(content: bytes) -> Any:
    if not content:
        return ""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return content.decode("utf-8", errors="replace")
