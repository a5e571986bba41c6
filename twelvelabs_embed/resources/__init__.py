"""Resources hold behaviour; :mod:`twelvelabs_embed.models` holds the data they return."""

from .embed import AsyncEmbedClient
from .embed_tasks import AsyncTasksClient, CreateEmbeddingsTaskVideoParams
from .pager import AsyncPager

__all__ = ["AsyncEmbedClient", "AsyncPager", "AsyncTasksClient", "CreateEmbeddingsTaskVideoParams"]
