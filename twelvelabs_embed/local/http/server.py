"""The engine's listening socket and connections: how many, how slow, and what a request
aiohttp cannot even parse gets back (issue #20 items 7 and 15).

- **Connection cap** below the process's open-file limit (``max_connections``; by default
  half of what the limit leaves after a reserve), so ``accept()`` never runs out of
  descriptors. At the cap a new connection first takes the place of the oldest one that
  has not sent a complete request (an idle keep-alive, or a client trickling headers), so
  slow clients cannot lock others out; only when every connection is busy with a request
  does it get ``503`` JSON with ``Retry-After``. Reaching the cap is logged once per
  episode, never once per connection.
- **Header timeout**: a connection must deliver a complete request header within
  ``header_timeout_sec`` of opening (or of its previous response); aiohttp's keep-alive
  timer does exactly this when it is this short.
- **Body rate**: while a handler waits for request body bytes, they must arrive at
  ``body_min_rate`` bytes/s on average after ``body_grace_sec`` (time the engine itself
  stops reading does not count); a slower body fails the read with ``408`` JSON.
- **Parser errors** (too many headers, an over-long line, a malformed request line) answer
  in the API's ``{"code", "message"}`` shape, without echoing any request bytes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import socket
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadStatusLine, InvalidHeader, LineTooLong

from ..url_fetch import next_bytes_deadline
from .bodies import error_body
from .problems import ApiProblem

log = logging.getLogger(__name__)

ENGINE_FILES = 64
"""Descriptors kept back for the database, uploads on disk, pipes to workers, logs."""
MAX_DEFAULT_CONNECTIONS = 4096
REFUSAL_LINGER_SEC = 2.0
"""How long a refused connection may stay open for its 503 to be read."""
ACCEPT_BURST = 16
"""Sockets asyncio accepts in one wake-up (it takes them before any is refused or closed)."""
LISTEN_BACKLOG = 128
"""The kernel's queue of connections not yet accepted. Kept apart from the burst: a short
queue made some of 100 connections opened at once fail with a reset."""
MAX_LINGERING = 64
"""Refused connections open at once."""
FD_RESERVE = ENGINE_FILES + 2 * ACCEPT_BURST + MAX_LINGERING
"""Descriptors the connection cap leaves free: the engine's own files, the accept bursts
of two loop turns (the sockets a burst evicts close a turn later), and the refused
connections still lingering."""
SWEEP_SEC = 0.5
"""How often body rates are checked."""


def default_max_connections() -> int:
    """Half of what the open-file limit leaves after :data:`FD_RESERVE` (a connection may
    hold a socket and an upload file), at least 16, at most 4096."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_DEFAULT_CONNECTIONS
    return max(16, min(MAX_DEFAULT_CONNECTIONS, (soft - FD_RESERVE) // 2))


class OverloadLog:
    """Says "overloaded" once when an episode starts and once when it ends, with how many
    connections or requests it turned away meanwhile."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.active = False
        self.count = 0

    def hit(self, detail: str) -> None:
        self.count += 1
        if not self.active:
            self.active = True
            log.warning("%s: %s (logged once until it clears)", self.what, detail)

    def clear(self) -> None:
        if self.active:
            log.warning("%s cleared after %d occurrence(s)", self.what, self.count)
        self.active, self.count = False, 0


_PARSER_MESSAGES: list[tuple[type[Exception], str]] = [
    (LineTooLong, "A request line or header is too long."),
    (BadStatusLine, "The request line is not valid HTTP."),
    (InvalidHeader, "A request header is not valid."),
]


def parser_error_message(exc: BaseException | None) -> str:
    """A fixed description per parser error: FFmpeg-style, never the request's bytes."""
    if exc is not None and "too many headers" in str(exc).lower():
        return "The request has too many headers."
    for cls, message in _PARSER_MESSAGES:
        if isinstance(exc, cls):
            return message
    return "The request is not valid HTTP."


class EngineRequestHandler(web.RequestHandler):
    """aiohttp's connection handler with JSON parser errors and a body rate check."""

    def __init__(self, manager: web.Server, *, body_min_rate: float, body_grace: float, **kw: Any):
        super().__init__(manager, **kw)
        self.opened_at = self._loop.time()
        self._body_min_rate = body_min_rate
        self._body_grace = body_grace
        self._rate_request: object = None
        self._rate_start = 0.0
        self._rate_bytes = 0

    def data_received(self, data: bytes) -> None:
        self._rate_bytes += len(data)
        super().data_received(data)

    def awaiting_request(self) -> bool:
        """True between requests: connected, but no complete request header yet."""
        waiter = self._waiter
        return self._current_request is None and waiter is not None and not waiter.done()

    def check_body_rate(self, now: float) -> None:
        """Fail the current request's body read when its bytes come too slowly."""
        request = self._current_request
        if request is None or request.content.is_eof():
            self._rate_request = None
            return
        if request is not self._rate_request or self._reading_paused:
            # a new request, or the engine itself stopped reading: measure from now
            self._rate_request, self._rate_start, self._rate_bytes = request, now, 0
            return
        deadline = next_bytes_deadline(
            self._rate_start, self._rate_bytes, self._body_min_rate, self._body_grace
        )
        if now > deadline:
            request.content.set_exception(
                ApiProblem(
                    408,
                    "request_timeout",
                    "The request body arrived too slowly (the engine needs at least "
                    f"{self._body_min_rate / 1024:g} KiB/s on average after "
                    f"{self._body_grace:g} s).",
                )
            )
            self._rate_request = None

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if isinstance(exc, ConnectionError):
            log.debug("request from %s: the client disconnected", request.remote)
            code, text = "client_disconnected", "The client disconnected."
        elif status >= 500:
            log.error("request from %s failed", request.remote, exc_info=exc)
            code, text = "internal_error", "The engine hit an unexpected error."
        else:  # a client that does not speak HTTP well: not the engine's problem
            log.debug("unparsable request from %s: %r", request.remote, exc)
            code, text = "bad_request", parser_error_message(exc)
        if request.writer.output_size > 0:
            raise ConnectionError("the response has already started")
        response = web.Response(
            status=status, body=error_body(code, text), content_type="application/json"
        )
        response.force_close()
        return response


class _Refused(asyncio.Protocol):
    """Answers one connection with ``503`` JSON (every connection is busy), then reads and
    drops what the client sends until it hangs up or :data:`REFUSAL_LINGER_SEC` pass:
    closing with unread bytes would make the kernel reset the connection, and the client
    would never see the answer."""

    BODY = error_body(
        "service_unavailable", "The engine has too many connections open; retry shortly."
    )

    lingering = 0
    """Refused connections still open; past :data:`MAX_LINGERING` one is cut at once."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if _Refused.lingering >= MAX_LINGERING:
            transport.abort()
            self._timer: asyncio.TimerHandle | None = None
            return
        _Refused.lingering += 1
        head = (
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(self.BODY)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        )
        transport.write(head.encode() + self.BODY)
        if transport.can_write_eof():
            transport.write_eof()
        self._timer = asyncio.get_running_loop().call_later(REFUSAL_LINGER_SEC, transport.abort)

    def data_received(self, data: bytes) -> None:
        pass

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            _Refused.lingering -= 1


class EngineSite(web.BaseSite):
    """A TCP site whose connections are :class:`EngineRequestHandler` s, capped."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        max_connections: int | None,
        header_timeout: float,
        body_min_rate: float,
        body_grace: float,
    ) -> None:
        super().__init__(runner)
        self._host, self._port = host, port
        self.max_connections = max_connections or default_max_connections()
        self._handler_args: dict[str, Any] = {
            "keepalive_timeout": header_timeout,
            "body_min_rate": body_min_rate,
            "body_grace": body_grace,
            "access_log": None,
        }
        self.overload = OverloadLog(f"connection limit ({self.max_connections}) reached")
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        # asyncio's `backlog` is both listen()'s queue and how many sockets one wake-up
        # accepts: a small burst keeps a flood inside FD_RESERVE (never EMFILE), then
        # listen() again, on a duplicate descriptor, gives the kernel queue its own size.
        self._server = await loop.create_server(
            self._protocol, self._host, self._port, backlog=ACCEPT_BURST
        )
        for listening in self._server.sockets:
            with socket.socket(fileno=os.dup(listening.fileno())) as dup:
                dup.listen(LISTEN_BACKLOG)
        self._sweeper = asyncio.create_task(self._sweep(), name="tl-http-sweeper")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        await super().stop()

    def _connections(self) -> list[EngineRequestHandler]:
        server = self._runner.server
        assert server is not None
        return [c for c in server.connections if isinstance(c, EngineRequestHandler)]

    def _protocol(self) -> asyncio.BaseProtocol:
        server = self._runner.server
        assert server is not None
        open_now = self._connections()
        if len(open_now) >= self.max_connections:
            self.overload.hit(
                f"{len(open_now)} connections open; closing idle ones to make room, "
                "refusing with 503 when none is idle"
            )
            idle = [c for c in open_now if c.awaiting_request()]
            if not idle:
                return _Refused()
            min(idle, key=lambda c: c.opened_at).force_close()
        elif len(open_now) < self.max_connections * 3 // 4:
            self.overload.clear()
        loop = asyncio.get_running_loop()
        return EngineRequestHandler(server, loop=loop, **self._handler_args)

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SWEEP_SEC)
            now = loop.time()
            for c in self._connections():
                c.check_body_rate(now)
