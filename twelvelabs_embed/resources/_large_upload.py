"""The resumable multipart upload behind ``assets.upload`` and ``multipart_upload.upload_file``.

How it differs from the official helper (which copies the file into chunk files first,
keeps no record and starts over after any failure):

- each chunk is read straight from the file in 1 MiB pieces while it is sent, so memory
  stays about ``concurrency`` x 1 MiB, however large the file; nothing is copied;
- chunks go out ``concurrency`` at a time; each PUT's ETag is checked against the MD5 of
  the bytes read (a chunk corrupted on the way is sent again), failures are retried with
  backoff, an expired or refused presigned URL is replaced with a fresh one;
- ETags are reported in batches while the upload goes on;
- the upload id and the ETags of chunks already sent are recorded (``_upload_state``), so
  a rerun after Ctrl-C, a crash or a lost network asks the platform (``get_status``) what
  it has and sends only the rest;
- chunk PUTs go through their own HTTP session that never carries the API key: a
  presigned URL is its own credential, and its host is not the API's.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import attrs

from .._aio import gather_or_cancel, to_thread
from .._upload_plan import ChunkPlan, decide_resume, should_report, url_ranges
from .._upload_state import UploadRecord, UploadStateFile, record_key
from ..errors import AssetUploadError, NotFoundError, UploadError
from ..rules import assets as rules
from ..types.assets import (
    AssetDetail,
    CompletedChunk,
    CreateAssetUploadResponse,
    PresignedUrlChunk,
    UploadProgress,
    UploadResult,
)
from .assets_raw import AsyncRawMultipartUploadClient

log = logging.getLogger("twelvelabs_embed")

PIECE = 1 << 20
"""Bytes read from the file and written to the socket at a time."""
PROGRESS_EVERY_SEC = 0.25
REFRESH_BEFORE_SEC = 60.0
"""A presigned URL this close to its expiry is replaced before use."""
MAX_RETRY_DELAY_SEC = 30.0
MAX_ROUNDS = 3
"""Times the missing chunks are sent again when the platform still lacks some."""

AssetUploadProgressCallback = Callable[[UploadProgress], Awaitable[None] | None]
"""Called with an :class:`UploadProgress` as chunks go out and are confirmed."""


class _ChunkRejected(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text[:200]}")
        self.status = status


class _ChunkCorrupted(Exception):
    pass


@attrs.define
class _Counters:
    completed_chunks: int = 0
    completed_bytes: int = 0
    in_flight: int = 0
    puts: int = 0


class LargeUpload:
    """One file's multipart upload; :meth:`run` returns once every chunk is reported."""

    def __init__(
        self,
        raw: AsyncRawMultipartUploadClient,
        path: Path,
        *,
        origin: str,
        filename: str,
        file_type: str,
        state_dir: Path | None,
        concurrency: int,
        batch_size: int,
        max_retries: int,
        retry_delay: float,
        timeout: float | None,
        progress: AssetUploadProgressCallback | None,
        create_options: dict[str, Any],
    ) -> None:
        if concurrency < 1 or batch_size < 1 or max_retries < 0:
            raise ValueError("concurrency and batch_size must be >= 1, max_retries >= 0")
        self._raw = raw
        self._path = path
        self._origin = origin
        self._filename = filename
        self._file_type = file_type
        self._state_dir = state_dir
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._max_retries = max_retries
        self._retry_delay = retry_delay
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
        self._progress = progress
        self._create_options = create_options
        self._counts = _Counters()
        self._urls: dict[int, PresignedUrlChunk] = {}
        self._stale: dict[int, bool] = {}
        """Chunks whose URL was refused (403): the next attempt asks for a new one."""
        self._url_lock = asyncio.Lock()
        self._pending: list[CompletedChunk] = []
        self._report_lock = asyncio.Lock()
        self._save_lock = asyncio.Lock()
        self._last_progress = 0.0
        self._state: UploadStateFile | None = None
        self._record: UploadRecord | None = None
        self._plan: ChunkPlan | None = None
        self.asset_url = ""
        self.resumed = False

    # --- the whole flow ----------------------------------------------------------------

    async def run(self) -> UploadResult:
        info = await to_thread(os.stat, self._path)
        size = info.st_size
        if size < 1:
            raise ValueError(f"{self._path} is empty")
        if self._state_dir is not None:
            key = record_key(self._origin, self._path, size, info.st_mtime_ns)
            self._state = UploadStateFile(self._state_dir, key)
        missing, to_report = await self._open_session(size)
        assert self._record is not None and self._plan is not None
        fd = await to_thread(os.open, self._path, os.O_RDONLY)
        try:
            async with aiohttp.ClientSession(timeout=self._timeout, trust_env=False) as http:
                await self._report_recorded(to_report)
                if to_report:
                    missing = await self._missing()
                for _ in range(MAX_ROUNDS):
                    if not missing:
                        break
                    await self._send_all(http, fd, missing)
                    await self._flush(final=True)
                    missing = await self._missing()
        finally:
            await to_thread(os.close, fd)
        if missing:
            raise AssetUploadError(
                f"the platform still lacks chunks {missing[:10]} after {MAX_ROUNDS} rounds",
                upload_id=self._record.upload_id,
                asset_id=self._record.asset_id,
            )
        await self._tell("processing")
        return UploadResult(
            self._record.asset_id, self.asset_url, None, self._record.upload_id,
            self.resumed, self._counts.puts,
        )  # fmt: skip

    @property
    def total_chunks(self) -> int:
        return self._plan.total_chunks if self._plan else 0

    def forget(self) -> None:
        """Drop the local record (the asset is ready: nothing is left to resume)."""
        if self._state is not None:
            self._state.remove()

    async def _open_session(self, size: int) -> tuple[list[int], list[int]]:
        """Resume the recorded session if the platform still has it, else start one.
        Returns the chunks to send and the recorded ones to report first."""
        record = await to_thread(self._state.load) if self._state else None
        if record is not None:
            plan = ChunkPlan(size, record.chunk_size, record.total_chunks)
            if rules.total_chunks(size, record.chunk_size) == record.total_chunks:
                status, done = await self._platform_view(record.upload_id)
                decision = decide_resume(status, record.total_chunks, done, record.etags)
                if decision.action != "start":
                    self._record, self._plan, self.resumed = record, plan, True
                    self._count_done(done)
                    log.info("resuming upload %s: %d of %d chunks to send", record.upload_id,
                             len(decision.missing), record.total_chunks)  # fmt: skip
                    return list(decision.missing), list(decision.report_first)
        created = (
            await self._raw.create(
                filename=self._filename, type=self._file_type, total_size=size,
                **self._create_options,
            )
        ).data  # fmt: skip
        self._record, self._plan = self._adopt(created, size), None
        self._plan = ChunkPlan(size, self._record.chunk_size, self._record.total_chunks)
        await self._save()
        return list(range(1, self._record.total_chunks + 1)), []

    def _adopt(self, created: CreateAssetUploadResponse, size: int) -> UploadRecord:
        if not created.chunk_size or not created.asset_id:
            raise AssetUploadError("the upload session has no chunk size or asset id")
        total = created.total_chunks or rules.total_chunks(size, created.chunk_size)
        for u in created.upload_urls or ():
            if u.chunk_index is not None and u.url:
                self._urls[u.chunk_index] = u
        return UploadRecord(created.upload_id, created.asset_id, created.chunk_size, total)

    async def _platform_view(self, upload_id: str) -> tuple[str | None, list[int]]:
        """The session's status and its completed chunks, every page (the truth)."""
        done: list[int] = []
        page, status = 1, None
        while True:
            try:
                answer = (
                    await self._raw.get_status(
                        upload_id, page=page, page_limit=rules.MAX_URLS_PER_REQUEST
                    )
                ).data
            except NotFoundError:
                return None, []
            status = answer.status
            chunks = answer.uploaded_chunks or ()
            done += [c.index for c in chunks if c.status == "completed"]
            info = answer.page_info
            if not chunks or (info and info.total_page is not None and page >= info.total_page):
                return status, done
            page += 1

    async def _missing(self) -> list[int]:
        assert self._record is not None
        status, done = await self._platform_view(self._record.upload_id)
        if status in (None, "expired", "failed"):
            raise AssetUploadError(
                f"the upload session is {status or 'gone'}; run the upload again to start over",
                upload_id=self._record.upload_id,
                asset_id=self._record.asset_id,
            )
        self._count_done(done)
        if status == "completed":
            return []
        have = set(done)
        return [i for i in range(1, self._record.total_chunks + 1) if i not in have]

    def _count_done(self, done: list[int]) -> None:
        assert self._plan is not None
        self._counts.completed_chunks = len(set(done))
        self._counts.completed_bytes = self._plan.bytes_of(set(done))

    # --- sending -----------------------------------------------------------------------

    async def _send_all(self, http: aiohttp.ClientSession, fd: int, chunks: list[int]) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in chunks:
            queue.put_nowait(index)

        async def worker() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                await self._send_chunk(http, fd, index)

        workers = min(self._concurrency, len(chunks))
        await gather_or_cancel(worker() for _ in range(workers))

    async def _send_chunk(self, http: aiohttp.ClientSession, fd: int, index: int) -> None:
        """PUT one chunk until it is in (its ETag matches its bytes), then queue its report."""
        assert self._record is not None and self._plan is not None
        offset, length = self._plan.span(index)
        attempt = 0
        while True:
            url = await self._url_for(index, refresh=attempt > 0 and self._stale.get(index, False))
            try:
                etag = await self._put(http, url, fd, offset, length)
                break
            except _ChunkRejected as exc:
                if exc.status == 409:  # already completed on the platform
                    return
                if exc.status == 403:
                    self._stale[index] = True  # expired or refused: a fresh URL next time
                elif not (exc.status in (408, 429) or exc.status >= 500):
                    raise AssetUploadError(
                        f"chunk {index} was refused: {exc}", upload_id=self._record.upload_id,
                        asset_id=self._record.asset_id, chunk_index=index,
                    ) from exc  # fmt: skip
                failure: Exception = exc
            except (_ChunkCorrupted, aiohttp.ClientError, asyncio.TimeoutError) as exc:
                failure = exc
            if attempt >= self._max_retries:
                raise AssetUploadError(
                    f"chunk {index} failed after {attempt + 1} attempts: {failure}",
                    upload_id=self._record.upload_id, asset_id=self._record.asset_id,
                    chunk_index=index,
                ) from failure  # fmt: skip
            delay = min(self._retry_delay * 2**attempt, MAX_RETRY_DELAY_SEC)
            log.warning("chunk %d: %s; retrying in %.1fs", index, failure, delay)
            attempt += 1
            await asyncio.sleep(delay)
        self._counts.puts += 1
        self._record.etags[index] = etag
        await self._save()
        self._pending.append(CompletedChunk(index, etag, length))
        if should_report(len(self._pending), self._batch_size, finished_sending=False):
            await self._flush(final=False)
        await self._tell("uploading", force=True)

    async def _put(
        self, http: aiohttp.ClientSession, url: str, fd: int, offset: int, length: int
    ) -> str:
        digest = hashlib.md5(usedforsecurity=False)
        sent = 0

        async def body() -> AsyncIterator[bytes | bytearray]:
            nonlocal sent
            while sent < length:
                n = min(PIECE, length - sent)
                data = bytearray(n)  # made here, in the loop's thread: see _read_into
                if await to_thread(_read_into, fd, data, offset + sent) != n:
                    raise UploadError(f"{self._path} changed while it was being uploaded")
                digest.update(data)
                sent += n
                self._counts.in_flight += n
                yield data
                await self._tell("uploading")

        try:
            headers = {"Content-Length": str(length), "Content-Type": "application/octet-stream"}
            async with http.put(url, data=body(), headers=headers) as resp:
                text = await resp.text() if resp.status != 200 else ""
                if resp.status != 200:
                    raise _ChunkRejected(resp.status, text)
                etag = resp.headers.get("ETag", "").strip().strip('"').lower()
        finally:
            self._counts.in_flight -= sent
        if sent != length or etag != digest.hexdigest():
            raise _ChunkCorrupted(f"the ETag {etag!r} is not the MD5 of the bytes sent")
        return etag

    async def _url_for(self, index: int, *, refresh: bool) -> str:
        """The chunk's presigned URL; fetched (with the next missing ones) when absent,
        about to expire, or refused."""
        assert self._record is not None
        async with self._url_lock:
            known = self._urls.get(index)
            fresh = known is not None and known.url and not refresh and not _expiring(known)
            if not fresh:
                self._stale.pop(index, None)
                want = [i for i in range(index, self._record.total_chunks + 1)
                        if i == index or i not in self._urls][: rules.MAX_URLS_PER_REQUEST]  # fmt: skip
                start, count = url_ranges(want, rules.MAX_URLS_PER_REQUEST)[0]
                more = await self._raw.get_additional_presigned_urls(
                    self._record.upload_id, start=start, count=count
                )
                for u in more.data.upload_urls or ():
                    if u.chunk_index is not None and u.url:
                        self._urls[u.chunk_index] = u
            url = self._urls[index].url
        if not url:
            raise AssetUploadError(f"no presigned URL for chunk {index}")
        return url

    # --- reporting and the record ------------------------------------------------------

    async def _report_recorded(self, indices: list[int]) -> None:
        """Chunks sent before a crash but never reported: report their recorded ETags
        (a wrong one only marks the chunk failed, and it is sent again)."""
        assert self._record is not None and self._plan is not None
        for index in indices:
            self._pending.append(
                CompletedChunk(index, self._record.etags[index], self._plan.span(index)[1])
            )
        await self._flush(final=True)

    async def _flush(self, *, final: bool) -> None:
        assert self._record is not None
        async with self._report_lock:
            while should_report(len(self._pending), self._batch_size, finished_sending=final):
                batch = self._pending[: self._batch_size]
                answer = (
                    await self._raw.report_chunk_batch(
                        self._record.upload_id, completed_chunks=batch
                    )
                ).data
                del self._pending[: len(batch)]
                if answer.url:
                    self.asset_url = answer.url
                if answer.total_completed is not None:
                    self._counts.completed_chunks = answer.total_completed
                self._counts.completed_bytes += sum(c.chunk_size for c in batch)
                for c in batch:
                    self._record.etags.pop(c.chunk_index, None)
                await self._save()
                await self._tell("uploading", force=True)
                if not final:
                    break

    async def _save(self) -> None:
        if self._state is None or self._record is None:
            return
        async with self._save_lock:
            await to_thread(
                self._state.save, attrs.evolve(self._record, etags=dict(self._record.etags))
            )

    async def _tell(self, status: str, *, force: bool = False) -> None:
        if self._progress is None or self._plan is None:
            return
        now = asyncio.get_running_loop().time()
        if not force and now - self._last_progress < PROGRESS_EVERY_SEC:
            return
        self._last_progress = now
        c = self._counts
        event = UploadProgress(
            self._plan.total_size, min(c.completed_bytes, self._plan.total_size), c.in_flight,
            self._plan.total_chunks, c.completed_chunks, status,
        )  # fmt: skip
        result = self._progress(event)
        if inspect.isawaitable(result):
            await result


def _read_into(fd: int, buf: bytearray, offset: int) -> int:
    """Fill ``buf`` from ``offset``; returns the bytes read.

    The buffer comes from the caller: worker threads that allocate megabyte buffers
    each grow a malloc arena of their own, which glibc keeps, so memory would grow with
    the number of threads instead of staying about concurrency x 1 MiB.
    """
    if hasattr(os, "preadv"):
        return os.preadv(fd, [buf], offset)
    data = os.pread(fd, len(buf), offset)  # Windows
    buf[: len(data)] = data
    return len(data)


def _expiring(url: PresignedUrlChunk) -> bool:
    if url.expires_at is None:
        return False
    left = (url.expires_at - datetime.now(timezone.utc)).total_seconds()
    return left < REFRESH_BEFORE_SEC


def origin_of(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


async def wait_until_ready(
    retrieve: Callable[[str], Awaitable[AssetDetail]],
    asset_id: str,
    *,
    sleep_interval: float,
    timeout: float | None,
) -> AssetDetail:
    """Poll the asset with the one poller until ``ready``; ``failed`` raises."""
    from ._poller import TaskPoller

    poller: TaskPoller[AssetDetail] = TaskPoller(
        retrieve, sleep_interval=sleep_interval, concurrency=1, timeout=timeout
    )
    poller.add(asset_id)
    rounds = poller.rounds()
    try:
        async for answers in rounds:
            for answer in answers:
                if answer.error is not None:
                    raise answer.error
                if answer.status is not None and answer.status.done:
                    asset = answer.status
                    if asset.status == "failed":
                        why = asset.error.message if asset.error else "no reason given"
                        raise AssetUploadError(f"the asset failed: {why}", asset_id=asset_id)
                    return asset
    finally:
        await rounds.aclose()
    raise AssetUploadError("the asset did not finish", asset_id=asset_id)  # pragma: no cover


__all__ = ["AssetUploadProgressCallback", "LargeUpload", "origin_of", "wait_until_ready"]
