"""``POST /embed`` (v1 sync) response types, named as the official SDK 1.3.6 names them.

The vectors sit under ``segments[].float`` as in v1 tasks (the wire key ``float`` is the
attribute ``float_``), so :class:`~twelvelabs_embed.types.AudioSegment` serves for every
segment (the official ``BaseSegment`` is its ``float_``-only subset).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .embed_tasks import AudioSegment, BaseEmbeddingMetadata, EmbeddingMatrix, segments_to_matrix

__all__ = [
    "AudioEmbeddingResult",
    "EmbeddingResponse",
    "ImageEmbeddingResult",
    "TextEmbeddingResult",
]


def _no_extra() -> Any:
    return attrs.field(factory=dict, kw_only=True, eq=False, repr=False)


@attrs.frozen
class TextEmbeddingResult:
    error_message: str | None = None
    segments: list[AudioSegment] | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class ImageEmbeddingResult:
    error_message: str | None = None
    segments: list[AudioSegment] | None = None
    metadata: BaseEmbeddingMetadata | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class AudioEmbeddingResult:
    """Audio vectors, one per segment with ``start_offset_sec``/``end_offset_sec``."""

    segments: list[AudioSegment] | None = None
    error_message: str | None = None
    metadata: BaseEmbeddingMetadata | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class EmbeddingResponse:
    """One call's text, image and/or audio embeddings."""

    model_name: str | None = None
    text_embedding: TextEmbeddingResult | None = None
    image_embedding: ImageEmbeddingResult | None = None
    audio_embedding: AudioEmbeddingResult | None = None
    extra: Mapping[str, Any] = _no_extra()

    def to_numpy(self) -> EmbeddingMatrix:
        """Text, then image, then audio segments as rows; ``embedding_option`` says which
        (``text``/``image``/``audio``) where the platform left it empty."""
        rows: list[AudioSegment] = []
        for option, result in (
            ("text", self.text_embedding),
            ("image", self.image_embedding),
            ("audio", self.audio_embedding),
        ):
            for s in (result.segments if result is not None else None) or []:
                rows.append(s if s.embedding_option else attrs.evolve(s, embedding_option=option))
        return segments_to_matrix(rows)
