"""Download a ``video_url`` to disk safely: scheme, address, redirect, size and time limits.

Time is bounded three ways: a total limit per download, response headers within a grace
period, and a minimum average rate once that grace period is over (a server that drips
a byte every few seconds is cut off, instead of holding a download slot for the whole
total limit).

Server-side request forgery is the risk: a URL that names (or resolves to, or redirects
to) a loopback, private, link-local, multicast or reserved address is refused unless the
engine allows private URLs. The check lives in the connector's resolver, so the address
that was checked is the address that is connected to (no DNS-rebinding window), and IP
literals, which aiohttp never resolves, are checked before each hop.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from .. import video_rules
from .._aio import wait_within
from .settings import discard

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK = 1 << 20

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchFailed(Exception):
    """The URL could not be downloaded; ``code``/``message`` go on the failed task."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


def next_bytes_deadline(started: float, received: int, min_rate: float, grace: float) -> float:
    """When more bytes must have arrived for the average rate since ``started`` to stay at
    or above ``min_rate`` bytes/s, counting from ``grace`` seconds after the start."""
    return started + grace + received / min_rate


class AddressRefused(OSError):
    """The host resolves to an address the policy forbids (raised inside the resolver)."""


def _url_invalid(why: str) -> FetchFailed:
    return FetchFailed(
        "parameter_invalid",
        f"The `video_url` parameter is invalid. The video could not be downloaded: {why}",
    )


ALLOW_HINT = (
    "the engine fetches only public addresses, as the platform does; to allow it, start "
    "the engine with --allow-private-urls (or allow_private_urls=True)"
)


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be fetched from (``127.0.0.1, a loopback address``), or ``None``
    when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return address_problem(embedded)
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return f"{ip}, a site-local address"  # fec0::/10: deprecated, yet still routed inside
    for attr in ("is_loopback", "is_link_local", "is_multicast", "is_unspecified"):
        if getattr(ip, attr):
            return f"{ip}, a {attr[3:].replace('_', '-')} address"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return f"{ip}, a private or reserved address"
    return None


class GuardedResolver(AbstractResolver):
    """Resolves with the system resolver, then refuses if *any* address is forbidden."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not self._allow_private:
            for r in results:
                problem = address_problem(ipaddress.ip_address(r["host"]))
                if problem:
                    raise AddressRefused(f"{host} resolves to {problem}")
        return results

    async def close(self) -> None:
        await self._inner.close()


class UrlFetcher:
    """Owns one ``ClientSession`` (created inside the running loop) for all downloads."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        max_size: int = video_rules.MAX_FILE_SIZE_BYTES,
        total_timeout: float = 600.0,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_redirects: int = 3,
        min_rate: float = 32 * 1024,
        grace: float = 30.0,
    ) -> None:
        self.allow_private = allow_private
        self.max_size = max_size
        self.max_redirects = max_redirects
        self.min_rate = min_rate
        self.grace = grace
        self._timeout = aiohttp.ClientTimeout(
            total=total_timeout, sock_connect=connect_timeout, sock_read=read_timeout
        )
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> UrlFetcher:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self.allow_private), use_dns_cache=False, limit=16
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            trust_env=False,
            headers={
                "User-Agent": "twelvelabs-embed-local/1",
                "Accept": "*/*",
                "Accept-Encoding": "identity",
            },
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def check_url(self, url: URL) -> None:
        """Scheme and IP-literal checks for one hop (hostnames are checked when resolved)."""
        if url.scheme not in ("http", "https") or not url.host:
            raise _url_invalid(f"only http(s) URLs with a host can be fetched, not {str(url)!r}")
        if self.allow_private:
            return
        try:
            ip = ipaddress.ip_address(url.host)
        except ValueError:
            return
        problem = address_problem(ip)
        if problem:
            raise _url_invalid(f"{problem}: {ALLOW_HINT}")

    async def fetch(self, url: str, dest: Path) -> int:
        """Stream ``url`` to ``dest``; returns the byte count. Nothing is left on failure.

        Raises:
            FetchFailed: bad scheme or address, too many redirects, HTTP error status,
                network error, timeout, or the body exceeds ``max_size``.
        """
        if self._session is None:
            raise RuntimeError("UrlFetcher is not open")
        try:
            return await self._fetch(URL(url), dest)
        except FetchFailed:
            discard(dest)
            raise
        except aiohttp.ClientConnectorDNSError as exc:
            discard(dest)
            cause = exc.os_error
            if isinstance(cause, AddressRefused):
                raise _url_invalid(f"{cause}: {ALLOW_HINT}") from exc
            raise _url_invalid(f"the host cannot be resolved ({cause})") from exc
        except TimeoutError as exc:
            discard(dest)
            raise _url_invalid("the download timed out") from exc
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            discard(dest)
            raise _url_invalid(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            discard(dest)
            raise

    async def _fetch(self, url: URL, dest: Path) -> int:
        assert self._session is not None
        for _hop in range(self.max_redirects + 1):
            self.check_url(url)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.grace
            try:  # headers within the grace period, however slowly they trickle
                resp = await wait_within(self._session.get(url, allow_redirects=False), self.grace)
            except asyncio.TimeoutError:
                if loop.time() < deadline:
                    raise  # a connect or read timeout fired first: "timed out"
                raise self._too_slow(0) from None
            async with resp:
                if resp.status in REDIRECT_STATUSES:
                    location = resp.headers.get("Location")
                    if not location:
                        raise _url_invalid(f"HTTP {resp.status} redirect without a Location")
                    url = url.join(URL(location))
                    continue
                if resp.status >= 400 or resp.status < 200:
                    raise _url_invalid(f"the server answered HTTP {resp.status}")
                return await self._save(resp, dest)
        raise _url_invalid(f"more than {self.max_redirects} redirects")

    async def _save(self, resp: aiohttp.ClientResponse, dest: Path) -> int:
        if resp.content_length is not None and resp.content_length > self.max_size:
            raise self._too_large()
        dest.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        loop = asyncio.get_running_loop()
        started = loop.time()
        with _open_new(dest) as f:
            while True:
                wait = next_bytes_deadline(started, size, self.min_rate, self.grace)
                try:
                    chunk = await wait_within(resp.content.read(CHUNK), wait - loop.time())
                except asyncio.TimeoutError:
                    if loop.time() < wait:
                        raise  # the per-read timeout fired first: "timed out"
                    raise self._too_slow(size) from None
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_size:
                    raise self._too_large()
                f.write(chunk)
        if size == 0:
            raise FetchFailed(
                "video_file_broken", video_rules.file_broken("The file is empty.").message
            )
        return size

    def _too_slow(self, received: int) -> FetchFailed:
        return _url_invalid(
            f"the server sent it too slowly ({received} bytes received; the engine needs "
            f"at least {self.min_rate / 1024:g} KiB/s on average after the first "
            f"{self.grace:g} s)"
        )

    def _too_large(self) -> FetchFailed:
        v = video_rules.check_file_size(
            self.max_size + 1, max_size=self.max_size, lower_bound=True
        )[0]
        return FetchFailed(v.code, v.message)


@contextlib.contextmanager
def _open_new(path: Path) -> Any:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        yield f
