"""Public data types: responses and requests, named as the official SDK names them.

Data only (frozen attrs classes); behaviour lives in ``resources/``. Wire names live in
:mod:`twelvelabs_embed._converter`.
"""

from __future__ import annotations

from .embed_sync import (
    AudioEmbeddingResult,
    EmbeddingResponse,
    ImageEmbeddingResult,
    TextEmbeddingResult,
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

__all__ = [
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
