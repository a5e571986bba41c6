"""Request bodies held in memory: JSON (Embed API v2) and small multipart forms (``/embed``).

The transport sends them like an upload (same interface as
:class:`~._upload.MultipartBody`): framed once when the request is built, so every retry
sends the identical bytes, written in chunks with the per-chunk write bound and the
progress callback (a 36 MB base64 video takes a while to go out).
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Sequence
from typing import Any

import attrs
import orjson
from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload

from ._aio import wait_within
from ._upload import UploadProgress
from .errors import UploadError

CHUNK_SIZE = 1 << 20


@attrs.frozen
class BytesBody:
    """``data`` sent as is with ``content_type``; ``replayable`` always (the bytes are kept)."""

    data: bytes = attrs.field(repr=False)
    content_type: str = "application/json"
    replayable: bool = True

    @property
    def size(self) -> int:
        return len(self.data)

    def payload(
        self, on_progress: UploadProgress | None, write_timeout: float | None = None
    ) -> BytesPayload:
        return BytesPayload(self, on_progress, write_timeout)


def json_body(value: Any) -> BytesBody:
    return BytesBody(orjson.dumps(value))


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def multipart_body(
    fields: Sequence[tuple[str, str]], files: Sequence[tuple[str, str, bytes, str]]
) -> BytesBody:
    """A ``multipart/form-data`` body: text ``fields`` (name, value), then ``files``
    (name, filename, bytes, content type), framed as the official SDK frames them."""
    boundary = secrets.token_hex(16)
    out = bytearray()
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for name, filename, data, ctype in files:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"; '
            f'filename="{_quote(filename)}"\r\nContent-Type: {ctype}\r\n\r\n'
        ).encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return BytesBody(bytes(out), f"multipart/form-data; boundary={boundary}")


class BytesPayload(Payload):
    """One attempt's body. ``completed``/``failure`` mean what they mean for uploads
    (``failure`` stays ``None``: the bytes are in memory)."""

    def __init__(
        self, body: BytesBody, on_progress: UploadProgress | None, write_timeout: float | None
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
                await wait_within(writer.write(chunk), self._write_timeout)
            if self._on_progress is not None:
                result = self._on_progress(min(i + CHUNK_SIZE, total), total)
                if inspect.isawaitable(result):
                    await result
        self.completed = True
