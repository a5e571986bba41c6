"""Embed API v2 request types, named and shaped as the official SDK 1.3.6 has them.

Keyword-only frozen attrs classes, so ``VideoInputRequest(media_source=MediaSource(url=...))``
reads the same as with the official SDK. Plain dicts in wire form are accepted wherever
these are. The converter writes them in wire form: ``None`` fields are left out and
``base_64_string`` goes out as ``base64_string``. The limits live in
:mod:`twelvelabs_embed.rules.embed_v2`; these classes only hold data.
"""

from __future__ import annotations

import os
from typing import Literal

import attrs

__all__ = [
    "AsyncAudioInputRequest",
    "AsyncDocumentInputRequest",
    "AsyncImageInputRequest",
    "AsyncTemporalSegmentation",
    "AsyncVideoInputRequest",
    "AudioInputRequest",
    "AudioSegmentation",
    "AudioSegmentationFixed",
    "DocumentSegmentation",
    "DocumentSequentialSegmentation",
    "DocumentSpatialSegmentation",
    "ImageInputRequest",
    "MediaSource",
    "MultiInputMediaSource",
    "MultiInputRequest",
    "TemporalSegmentation",
    "TemporalSegmentationDynamicDynamic",
    "TemporalSegmentationFixedFixed",
    "TemporalSegmentation_Dynamic",
    "TemporalSegmentation_Fixed",
    "TextImageInputRequest",
    "TextInputRequest",
    "TimeBasedMetadataEntry",
    "VideoInputRequest",
    "VideoSegmentation",
    "VideoSegmentationDynamicDynamic",
    "VideoSegmentationFixedFixed",
    "VideoSegmentation_Dynamic",
    "VideoSegmentation_Fixed",
    "WireRequest",
]


class WireRequest:
    """Marker base: the converter unstructures subclasses to their wire form."""


LocalFile = os.PathLike[str] | str
"""A local file standing in for a ``MediaSource``: sent as base64 or as an asset by the
client (see ``twelvelabs_embed.resources.media_sources``); an ``http(s)://`` string is a URL."""


_req = attrs.frozen(kw_only=True)


@_req
class MediaSource(WireRequest):
    """Exactly one of ``url`` (a direct link), ``base_64_string`` or ``asset_id``."""

    url: str | None = None
    base_64_string: str | None = attrs.field(default=None, repr=False)
    asset_id: str | None = None


@_req
class MultiInputMediaSource(WireRequest):
    """A named source for ``multi_input``: ``media_type`` is image/video/audio/document."""

    media_type: str
    name: str | None = None
    url: str | None = None
    base_64_string: str | None = attrs.field(default=None, repr=False)
    asset_id: str | None = None


@_req
class TextInputRequest(WireRequest):
    input_text: str


@_req
class ImageInputRequest(WireRequest):
    media_source: MediaSource | LocalFile


@_req
class TextImageInputRequest(WireRequest):
    media_source: MediaSource | LocalFile
    input_text: str


@_req
class MultiInputRequest(WireRequest):
    """Text and/or up to 10 media sources combined into one embedding."""

    input_text: str | None = None
    media_sources: list[MultiInputMediaSource] | None = None


@_req
class VideoSegmentationFixedFixed(WireRequest):
    duration_sec: int


@_req
class VideoSegmentationDynamicDynamic(WireRequest):
    min_duration_sec: int


@_req
class VideoSegmentation_Fixed(WireRequest):
    """Clips of ``fixed.duration_sec`` seconds (2-10)."""

    fixed: VideoSegmentationFixedFixed
    strategy: Literal["fixed"] = "fixed"


@_req
class VideoSegmentation_Dynamic(WireRequest):
    """Clips cut at shot boundaries, each at least ``dynamic.min_duration_sec`` (2-5)."""

    dynamic: VideoSegmentationDynamicDynamic
    strategy: Literal["dynamic"] = "dynamic"


VideoSegmentation = VideoSegmentation_Fixed | VideoSegmentation_Dynamic


@_req
class AudioSegmentationFixed(WireRequest):
    duration_sec: int


@_req
class AudioSegmentation(WireRequest):
    fixed: AudioSegmentationFixed
    strategy: Literal["fixed"] = "fixed"


@_req
class TemporalSegmentationFixedFixed(WireRequest):
    duration_sec: int


@_req
class TemporalSegmentationDynamicDynamic(WireRequest):
    min_duration_sec: int


@_req
class TemporalSegmentation_Fixed(WireRequest):
    fixed: TemporalSegmentationFixedFixed
    strategy: Literal["fixed"] = "fixed"


@_req
class TemporalSegmentation_Dynamic(WireRequest):
    dynamic: TemporalSegmentationDynamicDynamic
    strategy: Literal["dynamic"] = "dynamic"


TemporalSegmentation = TemporalSegmentation_Fixed | TemporalSegmentation_Dynamic


@_req
class AsyncTemporalSegmentation(WireRequest):
    """Marengo 3.5's segmentation, wrapped as ``{"temporal": {...}}``."""

    temporal: TemporalSegmentation


@_req
class TimeBasedMetadataEntry(WireRequest):
    """Text attached to a time range (Marengo 3.5, fused embeddings)."""

    start: float
    end: float
    text: str


@_req
class AudioInputRequest(WireRequest):
    media_source: MediaSource | LocalFile
    start_sec: float | None = None
    end_sec: float | None = None
    segmentation: AudioSegmentation | None = None
    embedding_option: list[str] | None = None
    embedding_scope: list[str] | None = None
    embedding_type: list[str] | None = None


@_req
class VideoInputRequest(WireRequest):
    """Sync video: ``embedding_option`` visual/audio/transcription, scope clip/asset,
    ``embedding_type`` separate_embedding/fused_embedding."""

    media_source: MediaSource | LocalFile
    start_sec: float | None = None
    end_sec: float | None = None
    segmentation: VideoSegmentation | None = None
    embedding_option: list[str] | None = None
    embedding_scope: list[str] | None = None
    embedding_type: list[str] | None = None


@_req
class AsyncAudioInputRequest(WireRequest):
    media_source: MediaSource | LocalFile
    start_sec: float | None = None
    end_sec: float | None = None
    segmentation: AudioSegmentation | AsyncTemporalSegmentation | None = None
    embedding_option: list[str] | None = None
    embedding_scope: list[str] | None = None
    embedding_type: list[str] | None = None
    time_based_metadata: list[TimeBasedMetadataEntry] | None = None


@_req
class AsyncVideoInputRequest(WireRequest):
    media_source: MediaSource | LocalFile
    start_sec: float | None = None
    end_sec: float | None = None
    segmentation: VideoSegmentation | AsyncTemporalSegmentation | None = None
    embedding_option: list[str] | None = None
    embedding_scope: list[str] | None = None
    embedding_type: list[str] | None = None
    time_based_metadata: list[TimeBasedMetadataEntry] | None = None


@_req
class AsyncImageInputRequest(WireRequest):
    media_source: MediaSource | LocalFile
    embedding_option: list[str] | None = None
    embedding_type: list[str] | None = None
    embedding_scope: list[str] | None = None


@_req
class DocumentSpatialSegmentation(WireRequest):
    strategy: str | None = None


@_req
class DocumentSequentialSegmentation(WireRequest):
    max_sentences: int
    strategy: str = "sentence"
    overlap_sentences: int | None = None


@_req
class DocumentSegmentation(WireRequest):
    spatial: DocumentSpatialSegmentation | None = None
    sequential: DocumentSequentialSegmentation | None = None


@_req
class AsyncDocumentInputRequest(WireRequest):
    media_source: MediaSource | LocalFile
    segmentation: DocumentSegmentation | None = None
    embedding_option: list[str] | None = None
    embedding_type: list[str] | None = None
    embedding_scope: list[str] | None = None
