"""Resources hold behaviour; :mod:`twelvelabs_embed.types` holds the data they return."""

from .embed import AsyncEmbedClient
from .embed_tasks import AsyncTasksClient, CreateEmbeddingsTaskVideoParams, StatusCallback
from .embed_tasks_raw import AsyncRawTasksClient, PreparedCreate
from .pager import AsyncPager

__all__ = [
    "AsyncEmbedClient",
    "AsyncPager",
    "AsyncRawTasksClient",
    "AsyncTasksClient",
    "CreateEmbeddingsTaskVideoParams",
    "PreparedCreate",
    "StatusCallback",
]
