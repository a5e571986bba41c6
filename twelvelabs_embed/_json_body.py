"""A JSON request body (Embed API v2) for the transport, beside the multipart one.

Serialised once with orjson when the request is built, so every retry sends the
identical bytes; written in chunks with the same per-chunk write bound and progress
callback as an upload (a 36 MB base64 video takes a while to go out).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import attrs
import orjson
from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload

from ._upload import UploadError, UploadProgress

CHUNK_SIZE = 1 << 20


@attrs.frozen
class JsonBody:
    """``data`` as JSON bytes; ``replayable`` always (the bytes are kept)."""

    data: bytes = attrs.field(repr=False)
    content_type: str = "application/json"
    replayable: bool = True

    @classmethod
    def of(cls, value: Any) -> JsonBody:
        return cls(orjson.dumps(value))

    @property
    def size(self) -> int:
        return len(self.data)

    def payload(
        self, on_progress: UploadProgress | None, write_timeout: float | None = None
    ) -> JsonPayload:
        return JsonPayload(self, on_progress, write_timeout)


class JsonPayload(Payload):
    """One attempt's JSON body. ``completed``/``failure`` mean what they mean for uploads
    (``failure`` stays ``None``: the bytes are in memory)."""

    def __init__(
        self, body: JsonBody, on_progress: UploadProgress | None, write_timeout: float | None
    ) -> None:
        super().__init__(None, content_type=body.content_type)
        self._data = body.data
        self._size = len(body.data)
        self._on_progress = on_progress
        self._write_timeout = write_timeout
        self.completed = False
        self.failure: UploadError | None = None

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self._data.decode(encoding, errors)

    async def write(self, writer: AbstractStreamWriter) -> None:
        total = len(self._data)
        for i in range(0, total, CHUNK_SIZE):
            chunk = self._data[i : i + CHUNK_SIZE]
            if self._write_timeout is None:
                await writer.write(chunk)
            else:
                await asyncio.wait_for(writer.write(chunk), self._write_timeout)
            if self._on_progress is not None:
                result = self._on_progress(min(i + CHUNK_SIZE, total), total)
                if inspect.isawaitable(result):
                    await result
        self.completed = True
