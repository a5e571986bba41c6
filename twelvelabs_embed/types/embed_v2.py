"""Embed API v2 response types, named as the official SDK 1.3.6 names them.

Frozen attrs classes holding data only; every field is optional and unknown fields are
kept in ``extra`` (the same policy as the v1 types). Wire names (``_id``) live only in
:mod:`twelvelabs_embed._converter`. ``to_numpy()`` stacks the flat ``data[]`` into one
:class:`~twelvelabs_embed.types.EmbeddingMatrix`, the type v1 results use too, so code
that reads vectors does not care which API produced them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from .embed_tasks import EmbeddingMatrix, MediaEmbeddingTask, TasksListResponse

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "EmbeddingData",
    "EmbeddingMediaMetadata",
    "EmbeddingSuccessResponse",
    "EmbeddingTaskMediaMetadata",
    "EmbeddingTaskResponse",
    "EmbeddingTaskResponseError",
    "EmbeddingUsage",
    "MediaEmbeddingTask",
    "TasksCreateResponse",
    "TasksCreateResponseMetadata",
    "TasksListResponse",
    "data_to_matrix",
]


def _no_extra() -> Any:
    return attrs.field(factory=dict, kw_only=True, eq=False, repr=False)


@attrs.frozen
class EmbeddingData:
    """One vector of a v2 result: a clip, the whole asset, or a text/image input.

    ``embedding_option`` is ``visual``/``audio``/``transcription``/``text``/``fused`` (or
    ``None`` for text and sync images); ``embedding_scope`` is ``clip``/``asset``/``page``/
    ``chunk`` (or ``None``); times are seconds.
    """

    embedding: list[float] | None = attrs.field(default=None, eq=False, repr=False)
    embedding_uncertainty: list[float] | None = attrs.field(default=None, eq=False, repr=False)
    embedding_option: str | None = None
    embedding_scope: str | None = None
    start_sec: float | None = None
    end_sec: float | None = None
    start_page_number: int | None = None
    end_page_number: int | None = None
    quadrant: str | None = None
    chunk_index: int | None = None
    extra: Mapping[str, Any] = _no_extra()

    def to_numpy(self) -> npt.NDArray[np.float32]:
        """The vector as a 1-D float32 array (empty when there is none)."""
        import numpy as np

        return np.asarray(self.embedding if self.embedding is not None else [], dtype=np.float32)


@attrs.frozen
class EmbeddingUsage:
    """Marengo 3.5 only: tokens read per modality, and whether text was truncated."""

    input_tokens: dict[str, int] | None = None
    truncated: bool | None = None
    truncation_reason: str | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class EmbeddingMediaMetadata:
    """What was embedded. The official SDK has one class per ``input_type``
    (``EmbeddingMediaMetadata_Video``, ...); here one class holds the union of their
    fields and ``input_type`` says which applies. Text inputs carry no metadata."""

    input_type: str | None = None
    input_url: str | None = None
    input_filename: str | None = None
    embedding_options: list[str] | None = None
    embedding_scopes: list[str] | None = None
    duration: float | None = None
    start_offset_sec: float | None = None
    end_offset_sec: float | None = None
    clip_length: int | None = None
    embedding_dimension: int | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class EmbeddingTaskMediaMetadata(EmbeddingMediaMetadata):
    """The metadata of an async task (audio, video, document or image)."""


def data_to_matrix(data: Sequence[EmbeddingData]) -> EmbeddingMatrix:
    """Stack ``data[]`` vectors with one ``np.asarray`` call; rows keep their order.

    Raises:
        ValueError: entries carry vectors of different lengths.
    """
    import numpy as np

    vectors = [d.embedding if d.embedding is not None else [] for d in data]
    dims = {len(v) for v in vectors}
    if len(dims) > 1:
        raise ValueError(f"entries have vectors of different lengths: {sorted(dims)}")
    dim = dims.pop() if dims else 0
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), dim)
    starts = np.asarray([np.nan if d.start_sec is None else d.start_sec for d in data], np.float64)
    ends = np.asarray([np.nan if d.end_sec is None else d.end_sec for d in data], np.float64)
    return EmbeddingMatrix(
        matrix,
        starts,
        ends,
        tuple(d.embedding_option or "" for d in data),
        tuple(d.embedding_scope or "" for d in data),
    )


@attrs.frozen
class EmbeddingSuccessResponse:
    """``POST /embed-v2``: the vectors (flat ``data``), ``usage`` (3.5) and ``metadata``."""

    data: list[EmbeddingData] | None = None
    usage: EmbeddingUsage | None = None
    metadata: EmbeddingMediaMetadata | None = None
    extra: Mapping[str, Any] = _no_extra()

    def to_numpy(self) -> EmbeddingMatrix:
        """Every entry as a row of one float32 matrix, with times, options and scopes."""
        return data_to_matrix(self.data or [])


@attrs.frozen
class TasksCreateResponseMetadata:
    embedding_dimension: int | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class TasksCreateResponse:
    """``POST /embed-v2/tasks`` (202): the new task's id, ``processing`` and no data yet.

    Not the v1 ``TasksCreateResponse`` (which has only ``id``); the top-level package
    exports this one as ``EmbeddingTasksCreateResponse``.
    """

    id: str | None = None
    status: str | None = None
    data: list[EmbeddingData] | None = None
    metadata: TasksCreateResponseMetadata | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class EmbeddingTaskResponseError:
    message: str | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class EmbeddingTaskResponse:
    """``GET /embed-v2/tasks/{id}``: status and, once ``ready``, the vectors."""

    id: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    data: list[EmbeddingData] | None = None
    usage: EmbeddingUsage | None = None
    metadata: EmbeddingTaskMediaMetadata | None = None
    error: EmbeddingTaskResponseError | None = None
    extra: Mapping[str, Any] = _no_extra()

    @property
    def done(self) -> bool:
        """True once the task is ``ready`` or ``failed``."""
        return self.status in ("ready", "failed")

    def to_numpy(self) -> EmbeddingMatrix:
        """Every entry as a row of one float32 matrix (empty until ``ready``)."""
        return data_to_matrix(self.data or [])
