"""Multipart bodies that stream from disk, replay byte-identically and report progress.

The body is framed by hand (fixed boundary, text parts first, the file part last, as
the official SDK orders them) so its length is known up front (a fixed
``Content-Length``, never chunked) and every retry sends exactly the same bytes. The
file is read in 1 MiB chunks off the event loop, so memory stays flat for a 2 GB file.
"""

from __future__ import annotations

import errno
import inspect
import io
import mimetypes
import os
import secrets
import stat
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import IO, Any, Union

import attrs
from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload

from ._aio import to_thread, wait_within
from .errors import NotReplayableError, UploadError

CHUNK_SIZE = 1024 * 1024

UploadProgress = Callable[[int, int | None], Awaitable[None] | None]
"""``callback(bytes_sent, total_bytes)``; may be sync or async. ``total_bytes`` is
``None`` for a non-seekable stream."""

VideoFile = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
"""A path, the bytes themselves, or a binary file object (read from its current position)."""


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
        info = path.stat()  # FileNotFoundError, PermissionError with the OS's own message
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory, not a video file", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(
                f"{path} is not a regular file (a pipe or a device cannot be uploaded)"
            )
        # fail early, with the OS's own message, if unreadable; without blocking (a name
        # swapped for a FIFO since the stat) and checking what was opened
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ValueError(
                    f"{path} is not a regular file (a pipe or a device cannot be uploaded)"
                )
        finally:
            os.close(fd)
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
            # fstat tells the size only for plain files: a gzip or tar wrapper reports the
            # underlying file's size, so anything else is measured by seeking to the end.
            if isinstance(video_file, (io.FileIO, io.BufferedReader)) and isinstance(
                getattr(video_file, "raw", video_file), io.FileIO
            ):
                size = os.fstat(video_file.fileno()).st_size - start
            else:
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


def _quote(value: str) -> bytes:
    """A form-data parameter value as httpx sends it: ``"`` and control characters
    percent-encoded, ``\\`` escaped, the rest UTF-8 (undecodable characters become ``?``)."""
    out = value.replace("\\", "\\\\").replace('"', "%22")
    out = "".join(f"%{ord(c):02X}" if ord(c) < 0x20 and c != "\x1b" else c for c in out)
    return out.encode("utf-8", errors="replace")


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
        b = self.boundary.encode()
        pre = bytearray()
        for name, value in self.fields:
            pre += b"--" + b + b'\r\nContent-Disposition: form-data; name="' + _quote(name)
            pre += b'"\r\n\r\n' + value.encode("utf-8", errors="replace") + b"\r\n"
        if self.file is not None and self.file_field is not None:
            pre += b"--" + b + b'\r\nContent-Disposition: form-data; name="'
            pre += _quote(self.file_field) + b'"; filename="' + _quote(self.file.filename)
            pre += b'"\r\nContent-Type: ' + self.file.content_type.encode() + b"\r\n\r\n"
            post = b"\r\n--" + b + b"--\r\n"
        else:
            post = b"--" + b + b"--\r\n"
        return bytes(pre), post

    @property
    def size(self) -> int | None:
        return self._total(*self._framing())

    def _total(self, pre: bytes, post: bytes) -> int | None:
        """Content-Length for this framing, or ``None`` when the file's size is unknown."""
        if self.file is None:
            return len(pre) + len(post)
        if self.file.size is None:
            return None
        return len(pre) + self.file.size + len(post)

    @property
    def replayable(self) -> bool:
        return self.file is None or self.file.replayable

    def payload(
        self, on_progress: UploadProgress | None = None, *, write_timeout: float | None = None
    ) -> StreamingPayload:
        """A fresh aiohttp payload for one attempt."""
        return StreamingPayload(self, on_progress, write_timeout)


class StreamingPayload(Payload):
    """One attempt's body. ``write_timeout`` bounds each chunk's write, so a server that
    stops reading cannot stall the upload forever; ``completed`` says the last byte went
    out; ``failure`` holds an :class:`UploadError` from the source side."""

    def __init__(
        self,
        body: MultipartBody,
        on_progress: UploadProgress | None,
        write_timeout: float | None = None,
    ) -> None:
        super().__init__(None, content_type=body.content_type)
        self._body = body
        self._pre, self._post = body._framing()
        self._size = body._total(self._pre, self._post)  # framed once per attempt
        self._on_progress = on_progress
        self._write_timeout = write_timeout
        self.completed = False
        self.failure: UploadError | None = None

    async def _send(self, writer: AbstractStreamWriter, chunk: bytes) -> None:
        if self._write_timeout is None:
            await writer.write(chunk)
        else:
            await wait_within(writer.write(chunk), self._write_timeout)

    def _fail(self, message: str, cause: BaseException | None = None) -> UploadError:
        self.failure = UploadError(message)
        self.failure.__cause__ = cause
        return self.failure

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("a streaming upload body cannot be decoded")

    async def _report(self, sent: int, total: int | None) -> None:
        if self._on_progress is not None:
            result = self._on_progress(sent, total)
            if inspect.isawaitable(result):
                await result

    async def write(self, writer: AbstractStreamWriter) -> None:
        await self._send(writer, self._pre)
        src = self._body.file
        if src is not None:
            sent = 0
            total = src.size
            await self._report(0, total)
            if src.data is not None:
                for i in range(0, len(src.data), CHUNK_SIZE):
                    chunk = src.data[i : i + CHUNK_SIZE]
                    await self._send(writer, chunk)
                    sent += len(chunk)
                    await self._report(sent, total)
            else:
                sent = await self._stream_file(writer, src)
            if total is not None and sent != total:
                raise self._fail(
                    f"{src.filename} changed size during the upload ({sent} of {total} bytes sent)"
                )
        await self._send(writer, self._post)
        self.completed = True

    async def _stream_file(self, writer: AbstractStreamWriter, src: FileSource) -> int:
        try:
            reader = src.open()
        except (OSError, NotReplayableError) as exc:
            raise self._fail(f"cannot read {src.filename} again: {exc}", exc) from exc
        assert reader is not None
        sent = 0
        try:
            while True:
                # never send more than the announced length: a growing file is an error,
                # not extra bytes the server would read as the start of another request
                want = CHUNK_SIZE if src.size is None else min(CHUNK_SIZE, src.size - sent)
                try:
                    chunk = await to_thread(reader.read, max(want, 1))
                except (OSError, ValueError) as exc:
                    raise self._fail(f"reading {src.filename} failed: {exc}", exc) from exc
                if not chunk:
                    return sent
                if want == 0:
                    return sent + len(chunk)  # more bytes than announced: caller reports it
                await self._send(writer, chunk)
                sent += len(chunk)
                await self._report(sent, src.size)
        finally:
            if src.path is not None:
                reader.close()

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
