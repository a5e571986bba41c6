"""Local files as Embed API v2 media sources: base64 within the allowance, else an asset.

Wherever a request takes a ``media_source`` (or a ``multi_input`` source), a
:class:`pathlib.Path` (or a path string without an ``http(s)://`` scheme) may be given
instead. It is read and sent as ``base64_string`` when its size is within the base64
allowance for that input (``rules.embed_v2_limits``); beyond it, the file is handed to
an :data:`AssetUpload` (the assets API, when the client has one) and sent as
``asset_id``. Without one, :class:`~twelvelabs_embed.errors.FileTooLargeForBase64Error`
says what to do. ``on_media_source`` is told which way each file went.
"""

from __future__ import annotations

import base64
import inspect
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import anyio.to_thread
import attrs

from .. import video_rules
from .._upload import UploadProgress as BytesProgress
from ..errors import FileTooLargeForBase64Error
from ..rules import embed_v2_limits as L

__all__ = ["AssetUpload", "MediaSourceCallback", "MediaSourceEvent", "resolve_local_sources"]


@attrs.frozen
class MediaSourceEvent:
    """How one local file was sent: ``sent_as`` is ``base64_string`` or ``asset_id``."""

    path: str
    size: int
    sent_as: Literal["base64_string", "asset_id"]
    limit: int
    asset_id: str | None = None


MediaSourceCallback = Callable[[MediaSourceEvent], Awaitable[None] | None]
AssetUpload = Callable[[Path, str, "BytesProgress | None"], Awaitable[str]]
"""``upload(path, media_type, on_bytes) -> asset_id`` of a ``ready`` asset (the assets API);
``on_bytes(sent, total)`` follows the upload, as a task upload's progress does."""


def local_path(value: Any) -> Path | None:
    """The file a source value names, or ``None`` when it is a source object or a URL.

    Raises:
        ValueError: a string URL whose scheme is not http(s) (never read as a file name).
    """
    if isinstance(value, os.PathLike):
        return Path(value)
    if isinstance(value, str):
        why = video_rules.unsupported_url(value)
        if why is not None:
            raise ValueError(why)
        return None if video_rules.url_scheme(value) else Path(value)
    return None


def _read_b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


async def _tell(callback: MediaSourceCallback | None, event: MediaSourceEvent) -> None:
    if callback is not None:
        result = callback(event)
        if inspect.isawaitable(result):
            await result


async def _resolve(
    value: Any,
    *,
    kind: str,
    model: str,
    mode: str,
    upload: AssetUpload | None,
    on_media_source: MediaSourceCallback | None,
    on_bytes: BytesProgress | None = None,
) -> Any:
    path = local_path(value)
    if path is None:
        return value
    size = (await anyio.to_thread.run_sync(path.stat)).st_size
    limit = L.max_media_bytes(kind, model, mode, base64=True)
    if size <= limit:
        encoded = await anyio.to_thread.run_sync(_read_b64, path)
        await _tell(on_media_source, MediaSourceEvent(str(path), size, "base64_string", limit))
        return {"base64_string": encoded}
    if upload is None:
        raise FileTooLargeForBase64Error(
            f"{path} is {size} bytes, over the {limit} bytes a {kind} may be sent as base64; "
            "file too large for base64; upload it as an asset and pass its asset_id, "
            "or give a URL",
            path=str(path),
            size=size,
            limit=limit,
        )
    asset_id = await upload(path, kind, on_bytes)
    await _tell(on_media_source, MediaSourceEvent(str(path), size, "asset_id", limit, asset_id))
    return {"asset_id": asset_id}


async def resolve_local_sources(
    body: dict[str, Any],
    *,
    mode: str,
    upload: AssetUpload | None = None,
    on_media_source: MediaSourceCallback | None = None,
    on_bytes: BytesProgress | None = None,
) -> dict[str, Any]:
    """``body`` (wire form) with every local-file source replaced by base64 or an asset id.

    Raises:
        FileTooLargeForBase64Error: a file over the allowance and no ``upload``.
        FileNotFoundError, PermissionError, IsADirectoryError: the file cannot be read.
    """
    input_type = body.get("input_type")
    model = str(body.get("model_name"))
    if not isinstance(input_type, str) or not isinstance(body.get(input_type), Mapping):
        return body
    payload = dict(body[input_type])

    async def resolve(value: Any, kind: str) -> Any:
        return await _resolve(
            value,
            kind=kind,
            model=model,
            mode=mode,
            upload=upload,
            on_media_source=on_media_source,
            on_bytes=on_bytes,
        )

    if "media_source" in payload:
        kind = input_type if input_type in ("audio", "video", "document") else "image"
        payload["media_source"] = await resolve(payload["media_source"], kind)
    sources = payload.get("media_sources")
    if isinstance(sources, list):
        resolved = []
        for item in sources:
            if isinstance(item, Mapping) and local_path(item.get("path")) is not None:
                kind = str(item.get("media_type") or "image")
                ref = await resolve(item["path"], kind)
                rest = {k: v for k, v in item.items() if k != "path"}
                resolved.append({**rest, **ref})
            else:
                resolved.append(item)
        payload["media_sources"] = resolved
    return {**body, input_type: payload}
