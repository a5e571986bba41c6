"""Multipart bodies that stream from disk, replay byte-identically and report progress.

The body is framed by hand (fixed boundary, text parts first, the file part last, as
the official SDK orders them) so its length is known up front (a fixed
``Content-Length``, never chunked) and every retry sends exactly the same bytes. The
file is read in 1 MiB chunks off the event loop, so memory stays flat for a 2 GB file.
"""

from __future__ import annotations

import asyncio
import inspect
import mimetypes
import os
import secrets
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import IO, Any, Union

import attrs
from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload

CHUNK_SIZE = 1024 * 1024

UploadProgress = Callable[[int, int | None], Awaitable[None] | None]
"""``callback(bytes_sent, total_bytes)``; may be sync or async. ``total_bytes`` is
``None`` for a non-seekable stream."""

VideoFile = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
"""A path, the bytes themselves, or a binary file object (read from its current position)."""


class NotReplayableError(RuntimeError):
    """The file object cannot be rewound, so a failed upload cannot be resent."""


@attrs.define
class FileSource:
    """Where the upload's bytes come from, and how to read them again for a retry."""

    filename: str
    content_type: str
    size: int | None
    path: str | None = None
    data: bytes | None = None
    stream: IO[bytes] | None = None
    start: int = 0
    replayable: bool = True
    probe_path: str | None = None
    """A path the preflight probe may open (None for bytes and anonymous streams)."""
    _opened: int = 0

    def open(self) -> IO[bytes] | None:
        """A reader positioned at the start of the content (``None`` for in-memory data)."""
        self._opened += 1
        if self.path is not None:
            return open(self.path, "rb")
        if self.stream is not None:
            if self._opened > 1:
                if not self.replayable:
                    raise NotReplayableError("the file object is not seekable; cannot resend it")
                self.stream.seek(self.start)
            return self.stream
        return None


def _guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def file_source(video_file: VideoFile) -> FileSource:
    """Classify what the caller passed as ``video_file``.

    Raises:
        FileNotFoundError / IsADirectoryError / PermissionError: a path that cannot be read.
        TypeError: anything else (a text-mode file, a number, ...).
    """
    if isinstance(video_file, (str, os.PathLike)):
        path = Path(video_file)
        with open(path, "rb"):  # fail early, with the OS's own message, if unreadable
            pass
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a directory, not a video file")
        return FileSource(
            path.name,
            _guess_type(path.name),
            path.stat().st_size,
            path=str(path),
            probe_path=str(path),
        )
    if isinstance(video_file, (bytes, bytearray, memoryview)):
        data = bytes(video_file)
        return FileSource("upload", "application/octet-stream", len(data), data=data)
    if hasattr(video_file, "read"):
        if isinstance(getattr(video_file, "encoding", None), str):
            raise TypeError("video_file must be opened in binary mode ('rb')")
        name = getattr(video_file, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) and name else "upload"
        size: int | None = None
        start = 0
        seekable = bool(getattr(video_file, "seekable", lambda: False)())
        if seekable:
            start = video_file.tell()
            try:
                size = os.fstat(video_file.fileno()).st_size - start
            except (AttributeError, OSError, ValueError):
                size = video_file.seek(0, os.SEEK_END) - start
                video_file.seek(start)
        local = name if isinstance(name, str) and start == 0 and os.path.isfile(name) else None
        # A file opened from disk may be probed by path; the bytes still come from the stream.
        return FileSource(
            filename,
            _guess_type(filename),
            size,
            stream=video_file,
            start=start,
            replayable=seekable,
            probe_path=local,
        )
    raise TypeError(
        f"video_file must be a path, bytes or a binary file object, not {type(video_file).__name__}"
    )


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


@attrs.frozen
class MultipartBody:
    """A complete ``multipart/form-data`` request: text fields, then one optional file."""

    fields: Sequence[tuple[str, str]]
    file_field: str | None = None
    file: FileSource | None = None
    boundary: str = attrs.field(factory=lambda: secrets.token_hex(16))

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _framing(self) -> tuple[bytes, bytes]:
        b = self.boundary
        pre = bytearray()
        for name, value in self.fields:
            pre += (
                f'--{b}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
            )
            pre += value.encode() + b"\r\n"
        if self.file is not None and self.file_field is not None:
            pre += (
                f'--{b}\r\nContent-Disposition: form-data; name="{_quote(self.file_field)}"; '
                f'filename="{_quote(self.file.filename)}"\r\n'
                f"Content-Type: {self.file.content_type}\r\n\r\n"
            ).encode()
            post = f"\r\n--{b}--\r\n".encode()
        else:
            post = f"--{b}--\r\n".encode()
        return bytes(pre), post

    @property
    def size(self) -> int | None:
        pre, post = self._framing()
        if self.file is None:
            return len(pre) + len(post)
        if self.file.size is None:
            return None
        return len(pre) + self.file.size + len(post)

    @property
    def replayable(self) -> bool:
        return self.file is None or self.file.replayable

    def payload(self, on_progress: UploadProgress | None = None) -> Payload:
        """A fresh aiohttp payload for one attempt."""
        return _StreamingPayload(self, on_progress)


class _StreamingPayload(Payload):
    def __init__(self, body: MultipartBody, on_progress: UploadProgress | None) -> None:
        super().__init__(None, content_type=body.content_type)
        self._body = body
        self._pre, self._post = body._framing()
        self._size = body.size
        self._on_progress = on_progress

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("a streaming upload body cannot be decoded")

    async def _report(self, sent: int, total: int | None) -> None:
        if self._on_progress is not None:
            result = self._on_progress(sent, total)
            if inspect.isawaitable(result):
                await result

    async def write(self, writer: AbstractStreamWriter) -> None:
        await writer.write(self._pre)
        src = self._body.file
        if src is not None:
            sent = 0
            total = src.size
            await self._report(0, total)
            if src.data is not None:
                for i in range(0, len(src.data), CHUNK_SIZE):
                    chunk = src.data[i : i + CHUNK_SIZE]
                    await writer.write(chunk)
                    sent += len(chunk)
                    await self._report(sent, total)
            else:
                reader = src.open()
                assert reader is not None
                loop = asyncio.get_running_loop()
                try:
                    while True:
                        chunk = await loop.run_in_executor(None, reader.read, CHUNK_SIZE)
                        if not chunk:
                            break
                        await writer.write(chunk)
                        sent += len(chunk)
                        await self._report(sent, total)
                finally:
                    if src.path is not None:
                        reader.close()
                if total is not None and sent != total:
                    raise OSError(f"the file changed size during upload ({sent} of {total} bytes)")
        await writer.write(self._post)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        await self.write(writer)


def form_fields(pairs: Sequence[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Text parts: ``None`` is left out, lists repeat the field, numbers are ``str()``."""
    out: list[tuple[str, str]] = []
    for name, value in pairs:
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        out.extend((name, str(v)) for v in values)
    return out
