"""Resources hold behaviour; :mod:`twelvelabs_embed.types` holds the data they return."""

from .embed import AsyncEmbedClient
from .embed_sync_raw import AsyncRawEmbedClient
from .embed_tasks import AsyncTasksClient, CreateEmbeddingsTaskVideoParams, StatusCallback
from .embed_tasks_raw import AsyncRawTasksClient, PreparedCreate
from .embed_v2 import AsyncV2Client, AsyncV2TasksClient, V2StatusCallback
from .embed_v2_raw import AsyncRawV2Client, AsyncRawV2TasksClient
from .media_sources import MediaSourceCallback, MediaSourceEvent
from .pager import AsyncPager

__all__ = [
    "AsyncEmbedClient",
    "AsyncPager",
    "AsyncRawEmbedClient",
    "AsyncRawTasksClient",
    "AsyncRawV2Client",
    "AsyncRawV2TasksClient",
    "AsyncTasksClient",
    "AsyncV2Client",
    "AsyncV2TasksClient",
    "CreateEmbeddingsTaskVideoParams",
    "MediaSourceCallback",
    "MediaSourceEvent",
    "PreparedCreate",
    "StatusCallback",
    "V2StatusCallback",
]
