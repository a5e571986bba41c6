"""The public data types: frozen attrs classes, no behaviour, no I/O.

:mod:`.embed_tasks` holds the v1.3 task responses, :mod:`.jobs` what the bulk helpers
take and report, :mod:`.http_response` what a raw twin returns; :mod:`.embed_v2`, :mod:`.embed_v2_requests` and
:mod:`.embed_sync` the Embed API v2 and the v1 sync ``/embed`` types (official names).
"""

from __future__ import annotations

from .embed_sync import (
    AudioEmbeddingResult,
    EmbeddingResponse,
    ImageEmbeddingResult,
    TextEmbeddingResult,
)
from .embed_tasks import (
    AudioEmbeddingMetadata,
    AudioSegment,
    BaseEmbeddingMetadata,
    DocumentEmbeddingMetadata,
    EmbeddingMatrix,
    EmbeddingOption,
    EmbeddingScope,
    ImageEmbeddingMetadata,
    MediaEmbeddingTask,
    MediaEmbeddingTaskAudioEmbedding,
    MediaEmbeddingTaskDocumentEmbedding,
    MediaEmbeddingTaskImageEmbedding,
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
from .embed_v2 import (
    EmbeddingData,
    EmbeddingMediaMetadata,
    EmbeddingSuccessResponse,
    EmbeddingTaskMediaMetadata,
    EmbeddingTaskResponse,
    EmbeddingTaskResponseError,
    EmbeddingUsage,
    TasksCreateResponseMetadata,
)
from .embed_v2 import TasksCreateResponse as EmbeddingTasksCreateResponse
from .embed_v2_requests import *  # noqa: F403
from .embed_v2_requests import __all__ as _request_names
from .http_response import AsyncHttpResponse, HttpResponse
from .jobs import BulkResult, ItemResult, JobOptions, JobOptionsDict, JobProgress

__all__ = [
    "AsyncHttpResponse",
    "AudioEmbeddingMetadata",
    "AudioSegment",
    "BaseEmbeddingMetadata",
    "BulkResult",
    "DocumentEmbeddingMetadata",
    "EmbeddingMatrix",
    "EmbeddingOption",
    "EmbeddingScope",
    "HttpResponse",
    "ImageEmbeddingMetadata",
    "ItemResult",
    "JobOptions",
    "JobOptionsDict",
    "JobProgress",
    "MediaEmbeddingTask",
    "MediaEmbeddingTaskAudioEmbedding",
    "MediaEmbeddingTaskDocumentEmbedding",
    "MediaEmbeddingTaskImageEmbedding",
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
    "AudioEmbeddingResult",
    "EmbeddingData",
    "EmbeddingMediaMetadata",
    "EmbeddingResponse",
    "EmbeddingSuccessResponse",
    "EmbeddingTaskMediaMetadata",
    "EmbeddingTaskResponse",
    "EmbeddingTaskResponseError",
    "EmbeddingTasksCreateResponse",
    "EmbeddingUsage",
    "ImageEmbeddingResult",
    "TasksCreateResponseMetadata",
    "TextEmbeddingResult",
    *_request_names,
]
