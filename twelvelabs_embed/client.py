"""``AsyncTwelveLabs``: the async client. Settings come from an argument, then the
environment, then the default."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Mapping
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from ._local_client import LocalClientContext
from ._transport import MAX_RESPONSE_BYTES, Transport
from ._upload import UploadProgress as BytesProgress
from .errors import TwelveLabsError
from .resources.assets import AsyncAssetsClient
from .resources.embed import AsyncEmbedClient
from .resources.multipart_upload import AsyncMultipartUploadClient
from .types.assets import UploadProgress as AssetUploadProgress

DEFAULT_BASE_URL = "https://api.twelvelabs.io/v1.3"
API_KEY_ENV = "TWELVE_LABS_API_KEY"
BASE_URL_ENV = "TWELVELABS_BASE_URL"
DEFAULT_TIMEOUT_SEC = 60.0
DEFAULT_MAX_RETRIES = 2


def resolve_settings(api_key: str | None, base_url: str | None) -> tuple[str | None, str]:
    """Key and base URL: the argument wins, then ``TWELVE_LABS_API_KEY`` /
    ``TWELVELABS_BASE_URL``, then the hosted platform. The platform needs a key."""
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL with a host, not {url!r}")
    if not key and url.rstrip("/") == DEFAULT_BASE_URL:
        raise TwelveLabsError(
            f"No API key: pass api_key= or set {API_KEY_ENV}. "
            "To work offline, point base_url at a local engine (twelvelabs-embed serve)."
        )
    return key, url


class AsyncTwelveLabs:
    """Client for the Twelve Labs Embed API; one aiohttp session per client.

    Use it as ``async with AsyncTwelveLabs() as client:`` or call :meth:`close`.

    Args:
        api_key: falls back to ``TWELVE_LABS_API_KEY``; required for the hosted platform.
        base_url: falls back to ``TWELVELABS_BASE_URL``, then ``https://api.twelvelabs.io/v1.3``.
        timeout: seconds allowed to connect, for each chunk of an upload to go out and for
            each read (default 60); ``None`` waits forever. It bounds each step, not the
            call: a server sending a byte every few seconds never trips it (use
            ``deadline``). A create whose whole body was sent and then timed out is not
            resent, since the task may exist already.
        deadline: seconds allowed for a whole call, retries and waits between them
            included (default ``None``: no limit); per call, ``request_options=
            {"deadline_in_seconds": ...}``.
        max_response_bytes: the largest response body read, after decompression
            (default 512 MiB); past it, ``ResponseTooLargeError``.
        max_retries: retries of connection errors, 408/409/429 and 5xx (default 2).
        headers: extra headers for every request.
        preflight: probe a local video file with PyAV before uploading it (default on); the
            parameter and size checks run either way.
        connection_limit: most connections open at once (default 100).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT_SEC,
        max_retries: int = DEFAULT_MAX_RETRIES,
        headers: Mapping[str, str] | None = None,
        preflight: bool = True,
        connection_limit: int = 100,
        deadline: float | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if timeout is not None and not timeout > 0:
            raise ValueError("timeout must be greater than 0 (or None to wait forever)")
        key, url = resolve_settings(api_key, base_url)
        self.api_key: str | None = key
        self.base_url: str = url
        self._transport = Transport(
            base_url=url,
            api_key=key,
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            connection_limit=connection_limit,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
        )
        self.assets = AsyncAssetsClient(self._transport)

        async def upload_asset(
            path: Path, media_type: str, on_bytes: BytesProgress | None = None
        ) -> str:
            # a local file over the base64 allowance of a v2 request goes up as an asset;
            # its bytes (confirmed and in flight) reach the caller as a task upload's do
            callback = None
            if on_bytes is not None:
                tell = on_bytes

                def callback(p: AssetUploadProgress) -> Awaitable[None] | None:
                    return tell(p.completed_bytes + p.in_flight_bytes, p.total_bytes)

            result = await self.assets.upload(
                path, file_type=media_type, progress_callback=callback
            )
            return result.asset_id

        self.embed = AsyncEmbedClient(self._transport, preflight=preflight, upload=upload_asset)
        self.multipart_upload = AsyncMultipartUploadClient(self._transport)

    @classmethod
    def local(
        cls,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        workers: int = 2,
        allow_private_urls: bool = False,
    ) -> LocalClientContext[AsyncTwelveLabs]:
        """A client on a local engine started for it: offline, no API key, the same API.

        ``async with AsyncTwelveLabs.local() as client:`` starts the engine, and stops it at
        the end of the block. Tasks persist in ``data_dir``, by default the directory the
        CLI's engine uses (so ``twelvelabs-embed list`` shows them). Needs the ``local`` extra.
        A script that starts it needs the ``if __name__ == "__main__":`` guard (the
        engine's worker processes re-import the main module); without it, starting the
        engine raises ``MainModuleNotGuardedError`` before any worker starts.

        Args:
            data_dir: where the engine keeps tasks and uploads.
            workers: worker processes that decode and embed.
            allow_private_urls: let ``video_url`` reach loopback and private addresses.
        """
        return LocalClientContext(
            cls, data_dir, workers=workers, allow_private_urls=allow_private_urls
        )

    async def close(self) -> None:
        """Close the HTTP session; the client cannot be used afterwards."""
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncTwelveLabs:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
