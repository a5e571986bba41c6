"""Multipart uploads: sessions, presigned chunk URLs, chunk bytes, reports, expiry.

A session reserves the asset's file at its full size (sparse), and each chunk PUT
writes its bytes straight to their place in it, hashing them on the way (the ETag is
the MD5 of the chunk, as S3 answers). So the file is assembled as the chunks arrive:
nothing is copied afterwards and no chunk is ever held whole in memory. When a report
completes the last chunk, the asset is probed like any other.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs

from .._aio import to_thread
from ..rules import assets as rules
from .assets import AssetService, guess_type, metadata_text
from .assets_store import ChunkCounts, ChunkRow, ReportOutcome, UploadRecord
from .http.problems import ApiProblem, from_violations
from .presign import UrlSigner
from .settings import API_PREFIX, EngineSettings, discard
from .upload_space import UploadSpace

WRITE_BATCH = 1 << 20
EXPIRY_SWEEP_SEC = 60.0


@attrs.frozen
class PresignedUrl:
    chunk_index: int
    url: str
    expires_ms: int


@attrs.frozen
class UploadStatus:
    upload: UploadRecord
    chunks: list[ChunkRow]
    counts: ChunkCounts


def _write_at(fd: int, offset: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def _reserve(path: str, size: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.ftruncate(fd, size)  # sparse: untouched ranges read as zeros
    finally:
        os.close(fd)


def upload_problem(status: int, code: str, message: str) -> ApiProblem:
    return ApiProblem(status, code, message)


def upload_not_found(upload_id: str) -> ApiProblem:
    return ApiProblem(
        404, "resource_not_exist", f"Upload session with id {upload_id} does not exist."
    )


class MultipartUploads:
    """The multipart upload flow of ``/assets/multipart-uploads``."""

    def __init__(
        self,
        settings: EngineSettings,
        assets: AssetService,
        signer: UrlSigner,
        space: UploadSpace | None = None,
    ) -> None:
        self._settings = settings
        self._space = space
        self._assets = assets
        self._store = assets.store
        self._clock = assets.clock
        self._signer = signer
        self._locks: dict[tuple[str, int], tuple[asyncio.Lock, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def _chunk_lock(self, upload_id: str, index: int) -> AsyncIterator[None]:
        """One PUT at a time per chunk (a second one waits), without keeping a lock per
        chunk forever."""
        key = (upload_id, index)
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._locks[key]

    def chunk_size_for(self, total_size: int) -> int:
        return self._settings.upload_chunk_size or rules.chunk_size_for(total_size)

    # --- sessions --------------------------------------------------------------------------

    async def create(self, body: Any, origin: str) -> tuple[UploadRecord, list[PresignedUrl]]:
        violations = rules.check_create_upload(body)
        if violations:
            raise from_violations(violations)
        assert isinstance(body, Mapping)
        size: int = body["total_size"]
        chunk = self.chunk_size_for(size)
        now = self._clock.now_ms()
        asset_id = self._assets.new_id()
        filename = str(body["filename"])
        asset = self._assets.record(
            asset_id, "multipart", filename=filename, media_type=str(body["type"]),
            file_type=guess_type(filename)[0], user_metadata=metadata_text(body.get("user_metadata")),
        )  # fmt: skip
        upload = UploadRecord(
            self._assets.new_id(), asset_id, str(body["type"]), size, chunk,
            rules.total_chunks(size, chunk), "active", now, now, now + rules.UPLOAD_TTL_MS,
            str(self._assets.path_for(asset_id)),
        )  # fmt: skip
        await to_thread(_reserve, upload.path, size)
        try:
            await self._store.insert_asset(asset, upload)
        except BaseException:
            discard(upload.path)
            raise
        count = min(upload.total_chunks, rules.MAX_URLS_PER_REQUEST)
        return upload, self.urls(upload, 1, count, origin)

    def urls(self, upload: UploadRecord, start: int, count: int, origin: str) -> list[PresignedUrl]:
        expires = min(self._clock.now_ms() + rules.PRESIGNED_URL_TTL_MS, upload.expires_ms)
        last = min(upload.total_chunks, start + count - 1)
        return [
            PresignedUrl(
                i,
                f"{origin}{API_PREFIX}/assets/multipart-uploads/{upload.id}/chunks/{i}"
                f"?expires={expires}&signature={self._signer.sign(upload.id, i, expires)}",
                expires,
            )
            for i in range(start, last + 1)
        ]

    async def active(self, upload_id: str) -> UploadRecord:
        """The upload, refused when unknown, expired, or no longer taking chunks."""
        upload = await self.get(upload_id)
        if upload.status != "active":
            raise ApiProblem(400, "upload_not_active", f"The upload session is {upload.status}.")
        return upload

    async def get(self, upload_id: str) -> UploadRecord:
        await self.expire()
        upload = await self._store.get_upload(upload_id)
        if upload is None:
            raise upload_not_found(upload_id)
        return upload

    async def additional_urls(
        self, upload_id: str, body: Any, origin: str
    ) -> tuple[UploadRecord, list[PresignedUrl]]:
        upload = await self.active(upload_id)
        if not isinstance(body, Mapping):
            raise ApiProblem(
                400, "parameter_invalid", "The `body` parameter is invalid. Send a JSON object."
            )
        start: Any = body.get("start")
        count: Any = body.get("count")
        violations = rules.check_url_range(start, count, upload.total_chunks)
        if violations:
            raise from_violations(violations)
        return upload, self.urls(upload, int(start), int(count), origin)

    # --- chunk bytes ---------------------------------------------------------------------

    def check_signature(self, upload_id: str, index: int, expires: str, signature: str) -> None:
        why = self._signer.check(upload_id, index, expires, signature, self._clock.now_ms())
        if why == "presigned_url_expired":
            raise ApiProblem(
                403, why, "The presigned URL has expired; request new ones with"
                " `POST /assets/multipart-uploads/{upload_id}/presigned-urls`.",
            )  # fmt: skip
        if why is not None:
            raise ApiProblem(403, why, "The presigned URL's signature does not match.")

    async def chunk_span(
        self, upload_id: str, index: int, length: int | None
    ) -> tuple[UploadRecord, int, int]:
        """The upload, and chunk ``index``'s offset and size in it; checked before any of
        the chunk's bytes are read (``length``: the declared one, if any).

        Raises:
            ApiProblem: unknown or inactive upload, no such chunk, a declared length that
                is not the chunk's size.
        """
        upload = await self.active(upload_id)
        if not 1 <= index <= upload.total_chunks:
            raise ApiProblem(400, "parameter_invalid", f"Chunk {index} is not part of this upload.")
        offset, expected = rules.chunk_span(index, upload.chunk_size, upload.total_size)
        if length is not None and length != expected:
            raise ApiProblem(
                400, "chunk_size_invalid", f"Chunk {index} is {expected} bytes, not {length}."
            )
        return upload, offset, expected

    async def receive_chunk(
        self,
        upload_id: str,
        index: int,
        length: int | None,
        body: AsyncIterator[bytes],
        content_md5: str | None,
    ) -> str:
        """Write one chunk's bytes in place; returns its ETag (MD5 hex).

        Raises:
            ApiProblem: unknown or inactive upload, a chunk already completed, a body
                that is not the chunk's size, or a ``Content-MD5`` that does not match.
        """
        upload, offset, expected = await self.chunk_span(upload_id, index, length)
        with self._hold(expected):  # counted with every upload in flight (issue #20)
            async with self._chunk_lock(upload_id, index):
                before = await self._store.chunk_begin(upload_id, index, self._clock.now_ms())
                if before is None:
                    raise ApiProblem(
                        409, "chunk_already_completed", f"Chunk {index} is already completed."
                    )
                try:
                    etag = await self._write(
                        upload.path, offset, expected, body, sparse=before == 0
                    )
                except BaseException:
                    await asyncio.shield(
                        self._store.chunk_abandoned(upload_id, index, self._clock.now_ms())
                    )
                    raise
        if content_md5 is not None and not _md5_matches(content_md5, etag):
            await self._store.chunk_abandoned(upload_id, index, self._clock.now_ms())
            raise ApiProblem(
                400, "bad_digest", "The Content-MD5 you specified did not match what we received."
            )
        await self._store.chunk_received(upload_id, index, etag, self._clock.now_ms())
        return etag

    def _hold(self, size: int) -> contextlib.AbstractContextManager[object]:
        """Reserve ``size`` bytes of the disk uploads in flight share, for one request."""
        return self._space.hold(size) if self._space is not None else contextlib.nullcontext()

    async def _write(
        self, path: str, offset: int, expected: int, body: AsyncIterator[bytes], *, sparse: bool
    ) -> str:
        """Stream ``body`` to ``path`` at ``offset``: exactly ``expected`` bytes.
        On a first attempt, all-zero pieces are skipped (the reserved file already reads
        as zeros there), so a sparse source stays sparse."""
        digest = hashlib.md5(usedforsecurity=False)
        fd = await to_thread(os.open, path, os.O_WRONLY)
        received, batch, at = 0, bytearray(), offset
        try:
            async for piece in body:
                received += len(piece)
                if received > expected:
                    raise ApiProblem(
                        400, "chunk_size_invalid", f"The chunk is larger than {expected} bytes."
                    )
                digest.update(piece)
                batch += piece
                if len(batch) >= WRITE_BATCH:
                    at = await self._flush(fd, at, batch, sparse)
            if batch:
                at = await self._flush(fd, at, batch, sparse)
        finally:
            await to_thread(os.close, fd)
        if received != expected:
            raise ApiProblem(
                400, "chunk_size_invalid", f"The chunk is {expected} bytes; {received} arrived."
            )
        return digest.hexdigest()

    @staticmethod
    async def _flush(fd: int, at: int, batch: bytearray, sparse: bool) -> int:
        data = bytes(batch)
        batch.clear()
        if not (sparse and not any(data)):
            await to_thread(_write_at, fd, at, data)
        return at + len(data)

    # --- reports and status --------------------------------------------------------------

    async def report(self, upload_id: str, body: Any) -> tuple[UploadRecord, ReportOutcome]:
        upload = await self.get(upload_id)
        if upload.status in ("expired", "failed"):
            raise ApiProblem(400, "upload_not_active", f"The upload session is {upload.status}.")
        chunks = body.get("completed_chunks") if isinstance(body, Mapping) else None
        violations, entries = rules.check_completed_chunks(
            chunks, upload.chunk_size, upload.total_size
        )
        if violations:
            raise from_violations(violations)
        outcome = await self._store.report(upload_id, entries, self._clock.now_ms())
        if outcome.upload_completed:
            self._assets.upload_finished(upload.asset_id, upload.type)
        return upload, outcome

    async def status(self, upload_id: str, offset: int, limit: int) -> UploadStatus:
        upload = await self.get(upload_id)
        chunks = await self._store.chunk_page(upload, offset, limit)
        return UploadStatus(upload, chunks, await self._store.chunk_counts(upload))

    async def incomplete(self, offset: int, limit: int) -> tuple[list[UploadRecord], int]:
        await self.expire()
        return await self._store.list_uploads("active", offset, limit)

    async def expire(self) -> None:
        """Sessions past their 24 hours: ``expired``, their partial files removed."""
        for upload in await self._store.expire_uploads(self._clock.now_ms()):
            discard(upload.path)

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(EXPIRY_SWEEP_SEC)
            await self.expire()


def _md5_matches(content_md5: str, etag: str) -> bool:
    try:
        return base64.b64decode(content_md5, validate=True) == bytes.fromhex(etag)
    except (binascii.Error, ValueError):
        return False
