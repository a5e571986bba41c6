"""The sync client seen through the async surface, so async tests run unchanged on it.

``AsyncSurface(TwelveLabs(...))`` behaves like an ``AsyncTwelveLabs``: every coroutine
method becomes ``await asyncio.to_thread(sync_method, ...)`` (the sync call blocks a
worker thread, never the test's loop), async generators and ``async for`` pull ``next``
through ``to_thread``, and results that are sync classes are wrapped again. Callbacks are
passed as they are, so a plain callback runs where the sync client runs it (the worker
thread that made the call); a callback returning an awaitable (``async def``) has it
awaited on the *test's* loop, which is where the test expects its coroutines to run.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from tests.engine_double import Server
from twelvelabs_embed import TwelveLabs
from twelvelabs_embed._sync.client import (
    EmbedClient,
    RawEmbedClient,
    RawTasksClient,
    RawV2Client,
    RawV2TasksClient,
    SyncPager,
    TasksClient,
    V2Client,
    V2TasksClient,
)
from twelvelabs_embed.client import AsyncTwelveLabs
from twelvelabs_embed.resources import (
    AsyncEmbedClient,
    AsyncPager,
    AsyncRawTasksClient,
    AsyncTasksClient,
)
from twelvelabs_embed.resources.embed_sync_raw import AsyncRawEmbedClient
from twelvelabs_embed.resources.embed_v2 import AsyncV2Client, AsyncV2TasksClient
from twelvelabs_embed.resources.embed_v2_raw import AsyncRawV2Client, AsyncRawV2TasksClient

ASYNC_TWIN: dict[type, type] = {
    TwelveLabs: AsyncTwelveLabs,
    EmbedClient: AsyncEmbedClient,
    TasksClient: AsyncTasksClient,
    RawTasksClient: AsyncRawTasksClient,
    SyncPager: AsyncPager,
    RawEmbedClient: AsyncRawEmbedClient,
    V2Client: AsyncV2Client,
    V2TasksClient: AsyncV2TasksClient,
    RawV2Client: AsyncRawV2Client,
    RawV2TasksClient: AsyncRawV2TasksClient,
}


def make_sync_client(server: Server, **kwargs: Any) -> AsyncSurface:
    """Like ``tests.client.conftest.make_client``, but a sync client behind the surface."""
    kwargs.setdefault("timeout", 5.0)
    return AsyncSurface(TwelveLabs(server.api_key, base_url=server.base_url, **kwargs))


def adapt(value: Any) -> Any:
    return AsyncSurface(value) if type(value) in ASYNC_TWIN else value


class AsyncIteratorSurface:
    """An async iterator over a sync one; each ``next`` runs in a worker thread."""

    def __init__(self, make: Callable[[], Iterator[Any]]) -> None:
        self._make = make
        self._it: Iterator[Any] | None = None

    def __aiter__(self) -> AsyncIteratorSurface:
        return self

    async def __anext__(self) -> Any:
        if self._it is None:
            self._it = await asyncio.to_thread(self._make)
        done = object()
        item = await asyncio.to_thread(next, self._it, done)
        if item is done:
            raise StopAsyncIteration
        return adapt(item)

    async def aclose(self) -> None:
        close = getattr(self._it, "close", None)
        if close is not None:
            await asyncio.to_thread(close)


def _callbacks_on(loop: asyncio.AbstractEventLoop, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Callables a test passes run as given; what they return, if awaitable, runs on ``loop``."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            result = fn(*args)
            if inspect.isawaitable(result):

                async def wait() -> Any:
                    return await result

                return asyncio.run_coroutine_threadsafe(wait(), loop).result()
            return result

        return call

    return {k: wrap(v) if callable(v) and not isinstance(v, type) else v for k, v in kwargs.items()}


class AsyncSurface:
    """One sync object (client, resource or pager) presented as its async twin."""

    def __init__(self, sync: Any) -> None:
        self._sync = sync
        self._async_cls = ASYNC_TWIN[type(sync)]

    def __repr__(self) -> str:
        return f"AsyncSurface({self._sync!r})"

    def __getattr__(self, name: str) -> Any:
        spec = inspect.getattr_static(self._async_cls, name, None)
        if spec is None or isinstance(spec, property):  # data: attributes and properties
            return adapt(getattr(self._sync, name))
        method = getattr(self._sync, name)
        if inspect.isasyncgenfunction(spec):

            def agen(*args: Any, **kwargs: Any) -> AsyncIteratorSurface:
                kw = _callbacks_on(asyncio.get_running_loop(), kwargs)
                return AsyncIteratorSurface(lambda: method(*args, **kw))

            return agen
        if inspect.iscoroutinefunction(spec):

            async def coro(*args: Any, **kwargs: Any) -> Any:
                kw = _callbacks_on(asyncio.get_running_loop(), kwargs)
                return adapt(await asyncio.to_thread(method, *args, **kw))

            return coro
        raise AttributeError(f"{self._async_cls.__name__}.{name} has no sync surface here")

    def __aiter__(self) -> AsyncIteratorSurface:
        return AsyncIteratorSurface(lambda: iter(self._sync))

    async def __aenter__(self) -> AsyncSurface:
        await asyncio.to_thread(self._sync.__enter__)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self._sync.__exit__, exc_type, exc, tb)
