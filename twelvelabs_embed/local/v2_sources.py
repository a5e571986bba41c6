"""Turning an Embed API v2 ``media_source`` into a file on disk.

- ``url``: downloaded by :class:`~.url_fetch.UrlFetcher` (the same public-address guard,
  redirect, size and time limits as v1's ``video_url``).
- ``base64_string``: checked against the size allowance from its length, then decoded
  (strictly) off the event loop.
- ``asset_id``: asked of an :class:`AssetLookup`. Until the engine has assets
  (:class:`NoAssets`), every id answers "not found"; the assets work replaces the lookup
  through ``app[ASSETS]`` and nothing here changes.
"""

from __future__ import annotations

import asyncio
import binascii
import os
from pathlib import Path
from typing import Protocol

import attrs

from ..rules import embed_v2_limits as L
from ..rules.embed_v2 import Source
from .http.problems import ApiProblem
from .settings import discard
from .url_fetch import FetchFailed, UrlFetcher


class AssetLookup(Protocol):
    async def media_path(self, asset_id: str) -> Path | None:
        """The file of a ``ready`` asset, or ``None`` when there is no such asset."""
        ...


class NoAssets:
    """The engine before assets exist: no id is known."""

    async def media_path(self, asset_id: str) -> Path | None:
        return None


@attrs.frozen
class LocalMedia:
    """A source on disk. ``owned``: the engine wrote it and removes it when done."""

    path: Path
    owned: bool
    input_url: str | None = None


def asset_not_found(asset_id: str, parameter: str) -> ApiProblem:
    return ApiProblem(
        400,
        "resource_not_exist",
        f"The `{parameter}.asset_id` parameter is invalid. Asset {asset_id!r} does not exist "
        "or is not ready.",
    )


def _decode_to(text: str, dest: Path) -> int:
    data = binascii.a2b_base64("".join(text.split()), strict_mode=True)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return len(data)


async def decode_base64(text: str, dest: Path, parameter: str) -> int:
    """Write the decoded bytes to ``dest``; a malformed string is a 400."""
    try:
        return await asyncio.to_thread(_decode_to, text, dest)
    except (binascii.Error, ValueError) as exc:
        discard(dest)
        raise ApiProblem(
            400,
            "parameter_invalid",
            f"The `{parameter}.base64_string` parameter is invalid. It is not valid base64 ({exc}).",
        ) from exc


def size_problem(kind: str, model: str, mode: str, size: int, *, base64: bool) -> ApiProblem | None:
    """413 on ``/embed-v2`` (the platform measured it); 400 on task creation, whose
    documented statuses have no 413."""
    found = L.check_media_size(kind, model, mode, size, base64=base64)
    if not found:
        return None
    v = found[0]
    return ApiProblem(v.status if mode == "sync" else 400, v.code, v.message)


async def materialize(
    source: Source,
    dest: Path,
    *,
    kind: str,
    model: str,
    mode: str,
    parameter: str,
    fetcher: UrlFetcher,
    assets: AssetLookup,
) -> LocalMedia:
    """Put ``source`` on disk at ``dest`` (or find the asset's file).

    Raises:
        ApiProblem: a bad string, an unknown asset, a refused or failed download, or
            content over the size allowance.
    """
    if source.asset_id is not None:
        path = await assets.media_path(source.asset_id)
        if path is None:
            raise asset_not_found(source.asset_id, parameter)
        return LocalMedia(path, owned=False)
    if source.base64_string is not None:
        problem = size_problem(
            kind, model, mode, L.base64_decoded_size(source.base64_string), base64=True
        )
        if problem is not None:
            raise problem
        await decode_base64(source.base64_string, dest, parameter)
        return LocalMedia(dest, owned=True)
    assert source.url is not None
    try:
        size = await fetcher.fetch(source.url, dest)
    except FetchFailed as exc:
        discard(dest)
        message = exc.message.replace("`video_url`", f"`{parameter}.url`")
        raise ApiProblem(400, exc.code, message) from exc
    problem = size_problem(kind, model, mode, size, base64=False)
    if problem is not None:
        discard(dest)
        raise problem
    return LocalMedia(dest, owned=True, input_url=source.url)
