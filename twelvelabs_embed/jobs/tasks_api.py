"""The part of the public tasks client a bulk job uses, as a Protocol.

The job talks to ``client.embed.tasks`` through these calls only (creates through the
raw twin, so the rate gate reads the ``x-ratelimit-*`` headers), never through the
client's transport; typing it as a Protocol keeps :mod:`twelvelabs_embed.jobs` free of
imports from the client it serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from ..types import (
    HttpResponse,
    MediaEmbeddingTask,
    TasksCreateResponse,
    TasksRetrieveResponse,
    TasksStatusResponse,
)

if TYPE_CHECKING:  # type-only: jobs/ imports nothing from resources/ at run time
    from ..resources.embed_tasks_raw import PreparedCreate


class RawTasksApi(Protocol):
    """``tasks.with_raw_response``: prepare a create once, send it as often as needed."""

    @property
    def prepare_create(self) -> Callable[..., Awaitable[PreparedCreate]]: ...

    @property
    def send_create(
        self,
    ) -> Callable[[PreparedCreate], Awaitable[HttpResponse[TasksCreateResponse]]]: ...


class TasksApi(Protocol):
    """``client.embed.tasks`` as a job sees it."""

    @property
    def with_raw_response(self) -> RawTasksApi: ...

    @property
    def status(self) -> Callable[[str], Awaitable[TasksStatusResponse]]: ...

    @property
    def retrieve(self) -> Callable[..., Awaitable[TasksRetrieveResponse]]: ...

    @property
    def list(self) -> Callable[..., Awaitable[AsyncIterable[MediaEmbeddingTask]]]: ...


__all__ = ["RawTasksApi", "TasksApi"]
