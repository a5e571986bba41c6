"""``client.embed``: the Embed API's resource groups, as the official SDK arranges them.

``embed.tasks`` (v1 video tasks), ``embed.v_2`` (Embed API v2: sync embeddings and
``v_2.tasks``), and ``embed.create`` itself: the v1 sync endpoint ``POST /embed``.
"""

from __future__ import annotations

from .._transport import Transport
from ..types.embed_sync import EmbeddingResponse
from ._base import RequestOptions
from .embed_sync_raw import AsyncRawEmbedClient, MediaFile
from .embed_tasks import AsyncTasksClient
from .embed_v2 import AsyncV2Client


class AsyncEmbedClient:
    """``client.embed``: ``tasks``, ``v_2``, and :meth:`create` (v1 sync)."""

    def __init__(self, transport: Transport, *, preflight: bool = True) -> None:
        self.tasks = AsyncTasksClient(transport, preflight=preflight)
        self.v_2 = AsyncV2Client(transport)
        self.with_raw_response = AsyncRawEmbedClient(transport)

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
    ) -> EmbeddingResponse:
        """v1 sync embeddings of text, an image and/or audio (``POST /embed``).

        The platform will deprecate it; :attr:`v_2` is its successor. A URL wins over a
        file of the same kind; audio comes back in 10 s segments from
        ``audio_start_offset_sec``.

        Raises:
            BadRequestError: a subclass per code, before sending when the rules can tell.
        """
        raw = await self.with_raw_response.create(
            model_name,
            text=text,
            image_url=image_url,
            image_file=image_file,
            audio_url=audio_url,
            audio_file=audio_file,
            audio_start_offset_sec=audio_start_offset_sec,
            request_options=request_options,
        )
        return raw.data
