"""Paged lists: iterate items across pages, or walk page by page.

Unlike the official SDK's pager (``has_next`` always true, one empty request past the
end, endless on a server that ignores ``page``), this one stops at ``page_info.total_page``,
at the first empty page, or at a page that repeats the previous one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from ..models import MediaEmbeddingTask, TasksListResponse, TasksListResponsePageInfo


class AsyncPager:
    """One page of tasks, with the means to fetch the following ones.

    ``async for task in pager`` yields every task from this page on;
    ``async for page in pager.iter_pages()`` yields this page and the next ones.
    """

    def __init__(
        self,
        response: TasksListResponse,
        page: int,
        fetch: Callable[[int], Awaitable[TasksListResponse]],
    ) -> None:
        self.response = response
        self.page = page
        self._fetch = fetch

    @property
    def items(self) -> list[MediaEmbeddingTask]:
        return list(self.response.data or [])

    @property
    def page_info(self) -> TasksListResponsePageInfo | None:
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

    async def next_page(self) -> AsyncPager | None:
        """The following page, or ``None`` after the last one (no request is made then).

        A server that ignores ``page`` and answers the same tasks again ends the walk too.
        """
        if not self.has_next:
            return None
        nxt = self.page + 1
        following = AsyncPager(await self._fetch(nxt), nxt, self._fetch)
        if [t.id for t in following.items] == [t.id for t in self.items]:
            return None
        return following

    async def iter_pages(self) -> AsyncIterator[AsyncPager]:
        pager: AsyncPager | None = self
        while pager is not None:
            yield pager
            pager = await pager.next_page()

    async def iter_items(self) -> AsyncIterator[MediaEmbeddingTask]:
        async for pager in self.iter_pages():
            for item in pager.items:
                yield item

    def __aiter__(self) -> AsyncIterator[MediaEmbeddingTask]:
        return self.iter_items()
