"""``client.embed.with_raw_response.create``: the v1 sync endpoint ``POST /embed``.

Text, an image and/or an audio file in one multipart form, embedded at once. The
platform marks it "will be deprecated; migrate to Embed API v2". Files are small here
(an image up to 5 MB, audio up to 36 MB), so they are read into memory and the form is
framed once: retries send the identical bytes.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from typing import IO, Any

from .._aio import to_thread
from .._bytes_body import multipart_body
from .._preflight import violation_error
from .._transport import Transport
from ..rules import embed_v1_sync as rules
from ..types.embed_sync import EmbeddingResponse
from ..types.http_response import HttpResponse
from ._base import RequestOptions, build_request, send

MediaFile = str | os.PathLike[str] | bytes | IO[bytes]
"""A path, the bytes themselves, or a binary file object (its ``name`` names the part)."""


def _read(value: MediaFile) -> tuple[str, bytes]:
    if isinstance(value, bytes):
        return "upload", value
    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        return path.name, path.read_bytes()
    name = Path(str(getattr(value, "name", "upload"))).name
    return name, value.read()


def _number(value: float) -> str:
    return str(value)


class AsyncRawEmbedClient:
    """``POST /embed`` with the HTTP facts."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create(
        self,
        model_name: str,
        *,
        text: str | None = None,
        image_url: str | None = None,
        image_file: MediaFile | None = None,
        audio_url: str | None = None,
        audio_file: MediaFile | None = None,
        audio_start_offset_sec: float | None = None,
        request_options: RequestOptions | None = None,
    ) -> HttpResponse[EmbeddingResponse]:
        """``embed.create`` with the HTTP facts; same parameters and errors."""
        files: list[tuple[str, str, bytes, str]] = []
        for field, value, url in (
            ("image_file", image_file, image_url),
            ("audio_file", audio_file, audio_url),
        ):
            if value is not None and not url:
                name, data = await to_thread(_read, value)
                found = rules.check_file_size(field, len(data))
                if found:
                    raise violation_error(found)
                ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
                files.append((field, name, data, ctype))
        params = rules.SyncEmbedParams(
            model_name=model_name,
            text=text,
            image_url=image_url,
            has_image_file=any(f[0] == "image_file" for f in files),
            audio_url=audio_url,
            has_audio_file=any(f[0] == "audio_file" for f in files),
            audio_start_offset_sec=audio_start_offset_sec,
        )
        found = rules.check_params(params)
        if found:
            raise violation_error(found)
        fields: list[tuple[str, Any]] = [
            ("model_name", model_name),
            ("text", text),
            ("image_url", image_url),
            ("audio_url", audio_url),
            ("audio_start_offset_sec", audio_start_offset_sec),
        ]
        form = [(k, v if isinstance(v, str) else _number(v)) for k, v in fields if v is not None]
        request = build_request(
            "POST", "embed", body=multipart_body(form, files), options=request_options
        )
        return await send(self._transport, request, EmbeddingResponse)
