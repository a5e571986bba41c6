"""The v1.3 embedding task types, named as the official SDK names them.

Frozen attrs classes holding data only. The id a create answers with is required (a
create response without one is an
:class:`~twelvelabs_embed.errors.ApiResponseValidationError`, so ``task.id`` is a plain
``str`` that ``wait_for_done(task.id)`` accepts); every other field is optional (the
platform omits fields freely) and fields the platform adds later are kept in ``extra`` instead of being dropped
or failing. Wire names (``_id``, ``float``) live only in :mod:`.._converter`. NumPy is
imported lazily by the ``to_numpy`` helpers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..video_rules import TERMINAL_STATUSES

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


EmbeddingOption = Literal["visual", "audio", "transcription", "visual-text"]
"""What a segment embeds (``retrieve(embedding_option=...)`` keeps only these)."""
EmbeddingScope = Literal["clip", "video"]
"""``clip``: one vector per clip; ``video``: one vector for the whole video."""
TaskStatus = Literal["processing", "ready", "failed"]
"""The statuses the platform documents; ``status`` fields stay ``str`` for new ones."""


def _no_extra() -> Any:
    return attrs.field(factory=dict, kw_only=True, eq=False, repr=False)


@attrs.frozen
class TaskError:
    """Why a task failed (the local engine sends it; the platform documents no field)."""

    code: str | None = None
    message: str | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class TasksCreateResponse:
    """The new task's id; poll it with ``status``/``wait_for_done``."""

    id: str
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class BaseEmbeddingMetadata:
    input_url: str | None = None
    input_filename: str | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class VideoEmbeddingMetadata(BaseEmbeddingMetadata):
    video_clip_length: float | None = None
    video_embedding_scope: list[str] | None = None
    video_embedding_option: list[str] | None = None
    duration: float | None = None


@attrs.frozen
class AudioEmbeddingMetadata(BaseEmbeddingMetadata):
    """SDK 1.3.6 names the lists ``audio_embedding_option``/``_scope`` (singular); 1.3.1
    used the plural. Both are kept, whichever the server sends."""

    audio_embedding_option: list[str] | None = None
    audio_embedding_scope: list[str] | None = None
    audio_embedding_options: list[str] | None = None
    audio_embedding_scopes: list[str] | None = None
    duration: float | None = None
    start_offset_sec: float | None = None
    end_offset_sec: float | None = None


@attrs.frozen
class AudioSegment:
    """One embedding vector and the time window it covers (seconds)."""

    float_: list[float] | None = attrs.field(default=None, eq=False, repr=False)
    start_offset_sec: float | None = None
    end_offset_sec: float | None = None
    embedding_option: str | None = None
    embedding_scope: str | None = None
    extra: Mapping[str, Any] = _no_extra()

    def to_numpy(self) -> npt.NDArray[np.float32]:
        """The vector as a 1-D float32 array (empty when the segment has none)."""
        import numpy as np

        return np.asarray(self.float_ if self.float_ is not None else [], dtype=np.float32)


@attrs.frozen
class VideoSegment(AudioSegment):
    """A clip- or video-scope segment of a video embedding task."""


@attrs.frozen
class EmbeddingMatrix:
    """All segments of a result as one float32 matrix plus per-row metadata.

    ``vectors[i]`` covers ``start_offset_sec[i]`` .. ``end_offset_sec[i]`` with
    ``embedding_option[i]`` and ``embedding_scope[i]``.
    """

    vectors: npt.NDArray[np.float32] = attrs.field(eq=False)
    start_offset_sec: npt.NDArray[np.float64] = attrs.field(eq=False)
    end_offset_sec: npt.NDArray[np.float64] = attrs.field(eq=False)
    embedding_option: tuple[str, ...]
    embedding_scope: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.embedding_option)

    def select(
        self, *, embedding_option: str | None = None, embedding_scope: str | None = None
    ) -> EmbeddingMatrix:
        """The rows with this option and/or scope, in their original order."""
        keep = [
            i
            for i in range(len(self))
            if (embedding_option is None or self.embedding_option[i] == embedding_option)
            and (embedding_scope is None or self.embedding_scope[i] == embedding_scope)
        ]
        return EmbeddingMatrix(
            self.vectors[keep],
            self.start_offset_sec[keep],
            self.end_offset_sec[keep],
            tuple(self.embedding_option[i] for i in keep),
            tuple(self.embedding_scope[i] for i in keep),
        )


def segments_to_matrix(segments: Sequence[AudioSegment]) -> EmbeddingMatrix:
    """Stack segment vectors with one ``np.asarray`` call (no Python loop over floats).

    Raises:
        ValueError: segments carry vectors of different lengths.
    """
    import numpy as np

    vectors = [s.float_ if s.float_ is not None else [] for s in segments]
    dims = {len(v) for v in vectors}
    if len(dims) > 1:
        raise ValueError(f"segments have vectors of different lengths: {sorted(dims)}")
    dim = dims.pop() if dims else 0
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), dim)

    def _times(name: str) -> npt.NDArray[np.float64]:
        values = [getattr(s, name) for s in segments]
        return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)

    return EmbeddingMatrix(
        matrix,
        _times("start_offset_sec"),
        _times("end_offset_sec"),
        tuple(s.embedding_option or "" for s in segments),
        tuple(s.embedding_scope or "" for s in segments),
    )


@attrs.frozen
class TasksStatusResponseVideoEmbedding:
    metadata: VideoEmbeddingMetadata | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class TasksStatusResponse:
    """A task's state: ``processing``, then ``ready`` or ``failed``."""

    id: str | None = None
    status: str | None = None
    model_name: str | None = None
    video_embedding: TasksStatusResponseVideoEmbedding | None = None
    error: TaskError | None = None
    extra: Mapping[str, Any] = _no_extra()

    @property
    def done(self) -> bool:
        """True once the task is ``ready`` or ``failed`` (:data:`TERMINAL_STATUSES`)."""
        return self.status in TERMINAL_STATUSES


@attrs.frozen
class TasksRetrieveResponseVideoEmbedding:
    metadata: VideoEmbeddingMetadata | None = None
    segments: list[VideoSegment] | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class TasksRetrieveResponse:
    """A task with its embeddings (segments are present once it is ``ready``)."""

    id: str | None = None
    model_name: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    video_embedding: TasksRetrieveResponseVideoEmbedding | None = None
    error: TaskError | None = None
    extra: Mapping[str, Any] = _no_extra()

    @property
    def segments(self) -> list[VideoSegment]:
        """The segments, or an empty list while there are none."""
        ve = self.video_embedding
        return list(ve.segments) if ve is not None and ve.segments else []

    def to_numpy(self) -> EmbeddingMatrix:
        """Every segment as rows of one float32 matrix, with offsets, options and scopes."""
        return segments_to_matrix(self.segments)


@attrs.frozen
class MediaEmbeddingTaskVideoEmbedding:
    metadata: VideoEmbeddingMetadata | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class MediaEmbeddingTaskAudioEmbedding:
    metadata: AudioEmbeddingMetadata | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class ImageEmbeddingMetadata(BaseEmbeddingMetadata):
    image_embedding_option: list[str] | None = None
    image_embedding_scope: list[str] | None = None


@attrs.frozen
class DocumentEmbeddingMetadata(BaseEmbeddingMetadata):
    document_embedding_option: list[str] | None = None
    document_embedding_scope: list[str] | None = None


@attrs.frozen
class MediaEmbeddingTaskImageEmbedding:
    metadata: ImageEmbeddingMetadata | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class MediaEmbeddingTaskDocumentEmbedding:
    metadata: DocumentEmbeddingMetadata | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class MediaEmbeddingTask:
    """One item of ``list`` (v1 and v2 tasks): a task without its vectors; its metadata
    sits under the embedding of its kind."""

    id: str | None = None
    model_name: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    video_embedding: MediaEmbeddingTaskVideoEmbedding | None = None
    audio_embedding: MediaEmbeddingTaskAudioEmbedding | None = None
    document_embedding: MediaEmbeddingTaskDocumentEmbedding | None = None
    image_embedding: MediaEmbeddingTaskImageEmbedding | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class TasksListResponsePageInfo:
    limit_per_page: int | None = None
    page: int | None = None
    total_page: int | None = None
    total_results: int | None = None
    extra: Mapping[str, Any] = _no_extra()


@attrs.frozen
class TasksListResponse:
    data: list[MediaEmbeddingTask] | None = None
    page_info: TasksListResponsePageInfo | None = None
    extra: Mapping[str, Any] = _no_extra()
