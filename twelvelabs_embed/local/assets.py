"""The engine's assets: taking a file in (direct, URL, or a finished multipart upload),
checking it with the same probe the tasks use, and answering where a ready asset's file
is (``media_source.asset_id`` in Embed API v2).

An asset is ``processing`` until its file has been probed, then ``ready`` (with size,
duration and frame size) or ``failed`` with the reason. Files live in
``<data_dir>/assets/<asset_id>``, one per asset, never under a name the client chose.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import orjson
from yarl import URL

from .. import video_rules
from .._aio import to_thread
from ..rules import assets as rules
from .assets_store import AssetRecord, AssetStore
from .control.clock import EngineClock
from .executors.base import MediaExecutor, WorkerCrashed
from .http.problems import ApiProblem
from .media.task_job import JobRefused, probe
from .settings import EngineSettings, discard
from .url_fetch import FetchFailed, UrlFetcher

log = logging.getLogger(__name__)

DOCUMENT_TYPES = {
    "application/pdf": "document",
    "text/plain": "document",
    "text/markdown": "document",
}


class AssetUsers(Protocol):
    """Who reads asset files: the v2 task store (``V2TaskStore``) in the engine."""

    async def processing_with_media(self, media_path: str) -> int:
        """How many unfinished tasks read this file (they block the asset's deletion)."""
        ...


class NoAssetUsers:
    async def processing_with_media(self, media_path: str) -> int:
        return 0


def new_id(now_ms: int) -> str:
    """24 hex characters like the platform's ids: 4 bytes of time, 8 random bytes."""
    return f"{(now_ms // 1000) & 0xFFFFFFFF:08x}{secrets.token_hex(8)}"


def guess_type(filename: str | None, declared: str | None = None) -> tuple[str | None, str]:
    """``(mime type, media type)`` from the name (or the declared content type);
    the media type is ``unknown`` until the probe says."""
    mime = None
    if filename:
        mime = mimetypes.guess_type(filename, strict=False)[0]
        if filename.lower().endswith(".md"):
            mime = "text/markdown"
    if mime is None and declared and declared != "application/octet-stream":
        mime = declared
    if mime is None:
        return None, "unknown"
    if mime in DOCUMENT_TYPES:
        return mime, "document"
    head = mime.split("/", 1)[0]
    return mime, head if head in ("video", "audio", "image") else "unknown"


def _check_probe(path: str, media_type: str) -> dict[str, Any]:
    """Runs in the prober: the media facts the asset keeps, or ``JobRefused``."""
    facts = probe(path)
    if media_type == "unknown":
        media_type = "video" if facts.has_video else "audio" if facts.has_audio else "unknown"
    if media_type == "video" and not facts.has_video:
        raise JobRefused("asset_invalid", "The file holds no video stream.")
    if media_type == "audio" and not facts.has_audio:
        raise JobRefused("asset_invalid", "The file holds no audio stream.")
    if media_type == "unknown":
        raise JobRefused("asset_invalid", "The file is not a video, audio or image file.")
    return {
        "media_type": media_type,
        "duration": facts.duration if media_type != "image" else None,
        "width": facts.width,
        "height": facts.height,
        "has_audio": facts.has_audio,
    }


class AssetService:
    """Creates, checks, lists and deletes assets."""

    def __init__(
        self,
        settings: EngineSettings,
        store: AssetStore,
        prober: MediaExecutor,
        fetcher: UrlFetcher,
        clock: EngineClock,
    ) -> None:
        self._settings = settings
        self.store = store
        self._prober = prober
        self._fetcher = fetcher
        self.clock = clock
        self.users: AssetUsers = NoAssetUsers()
        self._work: set[asyncio.Task[None]] = set()
        self.dir = settings.data_dir / "assets"
        self.dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, asset_id: str) -> Path:
        return self.dir / asset_id

    def new_id(self) -> str:
        return new_id(self.clock.now_ms())

    def record(
        self,
        asset_id: str,
        method: str,
        *,
        filename: str | None,
        media_type: str,
        file_type: str | None,
        user_metadata: str | None,
        input_url: str | None = None,
    ) -> AssetRecord:
        now = self.clock.now_ms()
        return AssetRecord(
            asset_id, method, "processing", media_type, filename, file_type, now, now,
            user_metadata, input_url, str(self.path_for(asset_id)),
        )  # fmt: skip

    # --- creating ------------------------------------------------------------------------

    async def add_direct(self, asset: AssetRecord, size: int) -> None:
        """A direct upload already on disk: store it and check it in the background."""
        if asset.media_type == "image" and size > rules.IMAGE_MAX_BYTES:
            discard(asset.media_path)
            raise ApiProblem(
                400,
                "asset_filesize_too_large",
                f"An image may be at most {rules.IMAGE_MAX_BYTES // rules.MB} MB.",
            )
        await self.store.insert_asset(asset)
        self._start(self._check(asset.id, asset.media_type))

    async def add_url(self, asset: AssetRecord) -> None:
        """A URL asset: stored now, downloaded and checked in the background."""
        assert asset.input_url is not None
        try:
            self._fetcher.check_url(URL(asset.input_url))
        except (FetchFailed, ValueError) as exc:
            why = exc.message if isinstance(exc, FetchFailed) else "It is not a URL."
            raise ApiProblem(400, "parameter_invalid", why.replace("`video_url`", "`url`")) from exc
        await self.store.insert_asset(asset)
        self._start(self._download_then_check(asset))

    def upload_finished(self, asset_id: str, media_type: str) -> None:
        """Every chunk of a multipart upload is in: check the assembled file."""
        self._start(self._check(asset_id, media_type))

    async def resume(self) -> None:
        """After a restart: check again what was still processing."""
        for a in await self.store.processing_assets():
            on_disk = await to_thread(os.path.exists, a.media_path or "")
            if a.method == "url" and not on_disk:
                self._start(self._download_then_check(a))
            else:
                self._start(self._check(a.id, a.media_type))

    async def stop(self) -> None:
        work = list(self._work)
        for t in work:
            t.cancel()
        if work:
            await asyncio.wait(work)

    async def wait_idle(self) -> None:
        """Until no asset is being downloaded or checked (tests)."""
        while self._work:
            await asyncio.wait(list(self._work))

    def _start(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    async def _download_then_check(self, asset: AssetRecord) -> None:
        assert asset.input_url is not None and asset.media_path is not None
        try:
            await self._fetcher.fetch(asset.input_url, Path(asset.media_path))
        except FetchFailed as exc:
            message = exc.message.replace("`video_url`", "`url`")
            await self.store.finish_asset(asset.id, self.clock.now_ms(), error=message)
            return
        await self._check(asset.id, asset.media_type)

    async def _check(self, asset_id: str, media_type: str) -> None:
        path = self.path_for(asset_id)
        try:
            size = path.stat().st_size
            if media_type == "document":
                facts: dict[str, Any] = {"media_type": "document"}
            else:
                facts = await self._probe(str(path), media_type)
        except FileNotFoundError:
            await self._fail(asset_id, "The asset's file is missing.")
            return
        except JobRefused as exc:
            await self._fail(asset_id, exc.message)
            return
        except WorkerCrashed:
            await self._fail(
                asset_id, video_rules.file_broken("Decoding the file crashed.").message
            )
            return
        if facts["media_type"] == "image" and size > rules.IMAGE_MAX_BYTES:
            await self._fail(
                asset_id, f"An image may be at most {rules.IMAGE_MAX_BYTES // rules.MB} MB."
            )
            return
        await self.store.finish_asset(asset_id, self.clock.now_ms(), size=size, **facts)

    async def _probe(self, path: str, media_type: str) -> dict[str, Any]:
        timeout = self._settings.probe_timeout_sec
        try:
            return await self._prober.run(_check_probe, path, media_type, timeout=timeout)
        except WorkerCrashed:  # once more: the prober may have died for another reason
            return await self._prober.run(_check_probe, path, media_type, timeout=timeout)

    async def _fail(self, asset_id: str, message: str) -> None:
        await self.store.finish_asset(asset_id, self.clock.now_ms(), error=message)
        discard(self.path_for(asset_id))

    # --- reading and deleting ----------------------------------------------------------

    async def get(self, asset_id: str) -> AssetRecord:
        asset = await self.store.get_asset(asset_id)
        if asset is None:
            raise not_found(asset_id)
        return asset

    async def media_path(self, asset_id: str) -> Path | None:
        """The file of a ``ready`` asset, or ``None`` (the v2 ``asset_id`` lookup)."""
        asset = await self.store.get_asset(asset_id)
        if asset is None or asset.status != "ready" or asset.media_path is None:
            return None
        return Path(asset.media_path)

    async def delete(self, asset_id: str, *, force: bool = False) -> None:
        """Delete the asset and its file. Without ``force``, refused while a task still
        reads it; with ``force`` (the platform's "delete anyway"), such a task that has
        not opened the file yet fails as with any source that is gone.

        Raises:
            ApiProblem: 404 (unknown) or 409 (a task still reads it, without ``force``).
        """
        asset = await self.get(asset_id)
        users = 0 if force else await self.users.processing_with_media(str(self.path_for(asset_id)))
        if users:
            raise ApiProblem(
                409,
                "asset_in_use",
                f"The asset {asset_id} is used by {users} task(s) still processing; delete it"
                " once they have finished.",
            )
        for path in await self.store.delete_asset(asset.id):
            with contextlib.suppress(OSError):
                discard(path)


def not_found(asset_id: str) -> ApiProblem:
    return ApiProblem(404, "resource_not_exist", f"Asset with id {asset_id} does not exist.")


def metadata_text(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()
