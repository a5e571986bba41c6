"""``client.embed``: the Embed API's resource groups.

Only the v1.3 task endpoints (``/embed/tasks``) exist today. The platform's newer
``/embed-v2/tasks`` endpoints would sit beside them as another attribute with its own
resource module, sharing the transport; nothing here assumes v1 is the only one.
"""

from __future__ import annotations

from .._transport import Transport
from .embed_tasks import AsyncTasksClient


class AsyncEmbedClient:
    def __init__(self, transport: Transport, *, preflight: bool = True) -> None:
        self.tasks = AsyncTasksClient(transport, preflight=preflight)
