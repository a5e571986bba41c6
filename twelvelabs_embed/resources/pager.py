"""Paged lists: iterate items across pages, or walk page by page.

``AsyncPager[T]`` is generic in its items, as the official SDK's is
(``AsyncPager[MediaEmbeddingTask]`` for ``tasks.list``). Unlike the official pager
(``has_next`` always true, one empty request past the end, endless on a server that
ignores ``page``), this one stops at ``page_info.total_page``, at the first empty page,
or at a page that repeats the previous one, and never yields the same id twice in one
walk (page numbers shift when items are created meanwhile; ``tasks.list`` also pins the
walk to the moment it started, issue #20 item 12).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

T_co = TypeVar("T_co", covariant=True)


class PageInfo(Protocol):
    """The page facts a list body reports (``TasksListResponsePageInfo``)."""

    @property
    def limit_per_page(self) -> int | None: ...
    @property
    def page(self) -> int | None: ...
    @property
    def total_page(self) -> int | None: ...
    @property
    def total_results(self) -> int | None: ...


class ListResponse(Protocol[T_co]):
    """A list endpoint's body: ``data`` plus ``page_info`` (``TasksListResponse``)."""

    @property
    def data(self) -> Sequence[T_co] | None: ...
    @property
    def page_info(self) -> PageInfo | None: ...


class Identified(Protocol):
    @property
    def id(self) -> str | None: ...


ItemT = TypeVar("ItemT", bound=Identified)
"""The item type of a pager: anything with an ``id`` (a repeated page is found by ids)."""


class AsyncPager(Generic[ItemT]):
    """One page of items, with the means to fetch the following ones.

    ``async for task in pager`` yields every item from this page on;
    ``async for page in pager.iter_pages()`` yields this page and the next ones.
    """

    def __init__(
        self,
        response: ListResponse[ItemT],
        page: int,
        fetch: Callable[[int], Awaitable[ListResponse[ItemT]]],
    ) -> None:
        self.response: ListResponse[ItemT] = response
        self.page: int = page
        self._fetch = fetch

    @property
    def items(self) -> list[ItemT]:
        return list(self.response.data or [])

    @property
    def page_info(self) -> PageInfo | None:
        return self.response.page_info

    @property
    def has_next(self) -> bool:
        """False on an empty page or on the last page ``page_info`` announces."""
        if not self.response.data:
            return False
        info = self.response.page_info
        if info is None or info.total_page is None:
            return True
        return self.page < info.total_page

    async def next_page(self) -> AsyncPager[ItemT] | None:
        """The following page, or ``None`` after the last one (no request is made then).

        A server that ignores ``page`` and answers the same items again ends the walk too.
        """
        if not self.has_next:
            return None
        nxt = self.page + 1
        following = AsyncPager(await self._fetch(nxt), nxt, self._fetch)
        if [t.id for t in following.items] == [t.id for t in self.items]:
            return None
        return following

    async def iter_pages(self) -> AsyncIterator[AsyncPager[ItemT]]:
        pager: AsyncPager[ItemT] | None = self
        while pager is not None:
            yield pager
            pager = await pager.next_page()

    async def iter_items(self) -> AsyncIterator[ItemT]:
        """Every item from this page on, each id once per walk."""
        yielded: set[str] = set()
        async for pager in self.iter_pages():
            for item in pager.items:
                if item.id is not None:
                    if item.id in yielded:
                        continue
                    yielded.add(item.id)
                yield item

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self.iter_items()
