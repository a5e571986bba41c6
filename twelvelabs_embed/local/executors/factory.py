"""Builds the media executor the settings ask for; the only place that may import Ray."""

from __future__ import annotations

from ..settings import EngineSettings
from .base import MediaExecutor
from .process_pool import ProcessPoolMediaExecutor

WORKER_PRELOAD = (
    "twelvelabs_embed.local.executors.one_thread",  # first: before numpy loads
    "twelvelabs_embed.local.media.task_job",
    "twelvelabs_embed.local.media.segments",
    "twelvelabs_embed.local.media.v2_vectors",
    "av",
)
"""Imported once by the fork server so every local worker starts warm."""


class ExecutorUnavailable(OSError):
    """The chosen executor cannot start (its extra is missing, its cluster unreachable)."""


async def open_media_executor(settings: EngineSettings) -> MediaExecutor:
    """A ready executor: the local process pool, or a connection to a Ray cluster.

    Raises:
        ExecutorUnavailable: ``executor="ray"`` without the ``ray`` extra, or no cluster
            at ``ray_address``.
    """
    if settings.executor != "ray":
        return ProcessPoolMediaExecutor(settings.workers, preload=WORKER_PRELOAD)
    try:
        from .ray import RayMediaExecutor, RayOptions
    except ModuleNotFoundError as exc:
        if exc.name != "ray":
            raise
        raise ExecutorUnavailable(
            "executor='ray' needs Ray: pip install 'twelvelabs-embed[local,ray]'"
        ) from exc

    options = RayOptions(
        address=settings.ray_address,
        max_in_flight=settings.workers,
        inline_max_bytes=settings.ray_inline_max_bytes,
        shared_dir=settings.ray_shared_dir,
        shared_url=settings.ray_shared_url,
        max_retries=settings.ray_max_retries,
    )
    try:
        return await RayMediaExecutor.connect(options)
    except ConnectionError as exc:
        raise ExecutorUnavailable(str(exc)) from exc
