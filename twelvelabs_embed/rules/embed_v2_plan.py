"""The checked forms of an Embed API v2 request (see :mod:`.embed_v2`): data only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class Source:
    """One media source: exactly one of ``url``, ``base64_string``, ``asset_id``."""

    url: str | None = None
    base64_string: str | None = None
    asset_id: str | None = None
    media_type: str | None = None
    name: str | None = None

    @property
    def kind(self) -> str:
        return "url" if self.url else "base64_string" if self.base64_string else "asset_id"


@attrs.frozen
class Segmentation:
    """``fixed``: clips of ``seconds``; ``dynamic``: shot boundaries, clips at least ``seconds``."""

    strategy: str
    seconds: float


@attrs.frozen
class TimeEntry:
    start: float
    end: float
    text: str


@attrs.frozen
class MediaPlan:
    """An audio or video input with every default applied.

    ``scopes`` are the scopes as the response names them (``local`` is ``clip``);
    ``requested_scopes`` echo the request for the metadata.
    """

    kind: str
    source: Source
    start_sec: float | None
    end_sec: float | None
    segmentation: Segmentation
    options: tuple[str, ...]
    options_given: bool
    scopes: tuple[str, ...]
    requested_scopes: tuple[str, ...]
    separate: bool
    fused: bool
    time_based_metadata: tuple[TimeEntry, ...] = ()


@attrs.frozen
class V2Request:
    """A checked ``/embed-v2`` or ``/embed-v2/tasks`` body."""

    mode: str
    input_type: str
    model_name: str
    embedding_dimension: int
    dimension_given: bool
    auto_truncate: bool = False
    embedding_uncertainty: bool = False
    text: str | None = None
    sources: tuple[Source, ...] = ()
    media: MediaPlan | None = None
    document: Mapping[str, Any] | None = None
