"""The HTTP layer: owns the aiohttp session, sends requests, retries, maps errors.

It knows nothing of resources: it sends a :class:`Request` and returns a
:class:`Response` with a 2xx status, or raises an :mod:`errors` class. The session and
its connector are created inside the running loop on first use, never at import time.

What a hostile or broken server cannot do (issue #20 items 2, 3, 11):

- get the API key: ``x-api-key`` goes only to the configured origin (scheme, host and
  port). Redirects (GET only) are followed here, not by aiohttp, and a hop to another
  origin (another host or port, or https to http) is sent without the key;
- exhaust memory: a response body is read up to ``max_response_bytes`` after
  decompression (a gzip bomb, an endless body), then :class:`~.errors.ResponseTooLargeError`;
- hold a call for ever: ``timeout`` bounds each connect and each read, and ``deadline``
  (when set) bounds the whole call, retries included.
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
from yarl import URL

from ._aio import wait_within
from ._bytes_body import BytesBody, BytesPayload
from ._retry import backoff_delay, retry_delay, with_attempts
from ._upload import MultipartBody, StreamingPayload, UploadProgress
from ._version import __version__
from .errors import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    ResponseTooLargeError,
    TwelveLabsError,
    make_status_error,
)

log = logging.getLogger("twelvelabs_embed")

USER_AGENT = f"twelvelabs-embed/{__version__} python/{platform.python_version()}"
API_KEY_HEADER = "x-api-key"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
MAX_RESPONSE_BYTES = 512 * 1024 * 1024
"""The largest body read (after decompression): several times the largest real answer
(a two-hour video at 2 s clips, two options of 1024 floats: about 100 MB of JSON)."""


def same_origin(a: URL, b: URL) -> bool:
    """Same scheme, host and port (default ports filled in): where the key may go."""
    return (a.scheme, (a.host or "").lower(), a.port) == (b.scheme, (b.host or "").lower(), b.port)


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
    deadline: float | None = None
    """Seconds for the whole call, retries included (``None``: the client's)."""


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
        deadline: seconds allowed for a whole call, retries included; ``None``: no limit.
        max_response_bytes: the largest response body read, after decompression.
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
        deadline: float | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._origin = URL(self.base_url)
        self.timeout = timeout
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.max_retries = max_retries
        self._connection_limit = connection_limit
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        extra = {k: v for k, v in (headers or {}).items() if k.lower() != API_KEY_HEADER}
        self._headers: dict[str, str] = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **extra,
        }
        # never a session default: added per request, for the configured origin only
        self._api_key = api_key or next(
            (v for k, v in (headers or {}).items() if k.lower() == API_KEY_HEADER), None
        )
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
        url = URL(self.base_url + req.path, encoded=True)
        params = req.params
        data: StreamingPayload | BytesPayload | None = None
        extra = dict(req.headers) if req.headers else {}
        if req.body is not None:
            data = req.body.payload(req.on_upload_progress, write_timeout=timeout)
            extra["Content-Type"] = req.body.content_type
        try:
            with map_exceptions(timeout):
                for _hop in range(MAX_REDIRECTS + 1):
                    async with session.request(
                        req.method,
                        url,
                        params=params,
                        data=data,
                        headers=self._headers_for(url, extra),
                        timeout=self._client_timeout(timeout),
                        allow_redirects=False,
                    ) as resp:
                        location = resp.headers.get("Location")
                        if req.method == "GET" and resp.status in REDIRECT_STATUSES and location:
                            url, params = resp.url.join(URL(location)), None
                            continue
                        content = await self._read_body(resp)
                        # aiohttp's header proxy is already case-insensitive: no copy needed
                        response = Response(resp.status, resp.headers, content, attempt + 1)
                        break
                else:
                    raise ApiConnectionError(f"more than {MAX_REDIRECTS} redirects")
        except ApiConnectionError as exc:
            if data is not None and data.failure is not None:
                raise data.failure from exc
            exc.ambiguous = data is not None and data.completed
            raise
        if not 200 <= response.status < 300:
            raise make_status_error(response.status, _decode_error(content), response.headers)
        return response

    def _headers_for(self, url: URL, extra: Mapping[str, str]) -> dict[str, str]:
        """The request's own headers, plus the key when ``url`` is the API's origin; a
        key the caller put in the request's headers is dropped elsewhere too."""
        headers = {k: v for k, v in extra.items() if k.lower() != API_KEY_HEADER}
        if same_origin(url, self._origin):
            key = next((v for k, v in extra.items() if k.lower() == API_KEY_HEADER), None)
            key = key or self._api_key
            if key:
                headers[API_KEY_HEADER] = key
        return headers

    async def _read_body(self, resp: aiohttp.ClientResponse) -> bytes:
        """The whole (decompressed) body, refused past ``max_response_bytes``."""
        cap = self.max_response_bytes
        if (
            resp.content_length is not None
            and resp.content_length > cap
            and not (resp.headers.get("Content-Encoding"))
        ):
            raise ResponseTooLargeError(resp.content_length, cap)
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_any():
            size += len(chunk)
            if size > cap:
                resp.close()  # do not read (or decompress) the rest
                raise ResponseTooLargeError(size, cap)
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def send(self, req: Request) -> Response:
        """Send with retries; return a 2xx :class:`Response` or raise an error class.

        A retried upload is rebuilt from the same :class:`MultipartBody`, so the server
        receives the identical bytes (same boundary, every form field, the whole file).
        """
        timeout = self.timeout if req.timeout is None else req.timeout
        deadline = self.deadline if req.deadline is None else req.deadline
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

        call = with_attempts(
            lambda attempt: self._send_once(req, timeout, attempt), retry_in, sleep=self._sleep
        )
        if deadline is None:
            return await call
        try:
            return await wait_within(call, deadline)
        except asyncio.TimeoutError:
            exc = ApiTimeoutError(
                f"the call did not finish within its deadline of {deadline:g} s "
                f"(timeout={timeout} bounds each connect and read; deadline the whole call)"
            )
            exc.ambiguous = req.body is not None  # a create may have reached the server
            raise exc from None

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
