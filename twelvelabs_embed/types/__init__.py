"""The public data types: frozen attrs classes, no behaviour, no I/O.

:mod:`.embed_tasks` holds the v1.3 task responses, :mod:`.jobs` what the bulk helpers
take and report, :mod:`.http_response` what a raw twin returns.
"""

from .embed_tasks import (
    AudioEmbeddingMetadata,
    AudioSegment,
    BaseEmbeddingMetadata,
    EmbeddingMatrix,
    EmbeddingOption,
    EmbeddingScope,
    MediaEmbeddingTask,
    MediaEmbeddingTaskAudioEmbedding,
    MediaEmbeddingTaskVideoEmbedding,
    TaskError,
    TasksCreateResponse,
    TasksListResponse,
    TasksListResponsePageInfo,
    TasksRetrieveResponse,
    TasksRetrieveResponseVideoEmbedding,
    TasksStatusResponse,
    TasksStatusResponseVideoEmbedding,
    TaskStatus,
    VideoEmbeddingMetadata,
    VideoSegment,
    segments_to_matrix,
)
from .http_response import AsyncHttpResponse, HttpResponse
from .jobs import BulkResult, ItemResult, JobOptions, JobOptionsDict, JobProgress

__all__ = [
    "AsyncHttpResponse",
    "AudioEmbeddingMetadata",
    "AudioSegment",
    "BaseEmbeddingMetadata",
    "BulkResult",
    "EmbeddingMatrix",
    "EmbeddingOption",
    "EmbeddingScope",
    "HttpResponse",
    "ItemResult",
    "JobOptions",
    "JobOptionsDict",
    "JobProgress",
    "MediaEmbeddingTask",
    "MediaEmbeddingTaskAudioEmbedding",
    "MediaEmbeddingTaskVideoEmbedding",
    "TaskError",
    "TaskStatus",
    "TasksCreateResponse",
    "TasksListResponse",
    "TasksListResponsePageInfo",
    "TasksRetrieveResponse",
    "TasksRetrieveResponseVideoEmbedding",
    "TasksStatusResponse",
    "TasksStatusResponseVideoEmbedding",
    "VideoEmbeddingMetadata",
    "VideoSegment",
    "segments_to_matrix",
]
