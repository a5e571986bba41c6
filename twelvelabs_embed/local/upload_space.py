"""The disk all uploads in flight may hold together (issue #20 item 10).

Many large uploads at once could fill the disk before any of them is refused for its
own size. :class:`UploadSpace` bounds the bytes they hold together (and keeps a margin of
free space): a request that does not fit is refused with ``503`` before its body is read
when it declares its length, or as soon as it crosses the bound when it does not.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

from .http.problems import ApiProblem

FREE_SPACE_MARGIN = 256 * 1024 * 1024
"""Free disk left alone for the database and the engine's other files (at most a tenth
of a small disk)."""


class UploadSpace:
    """Disk held by uploads in flight, together, within ``limit`` bytes."""

    def __init__(self, media_dir: Path, limit: int) -> None:
        self.media_dir = media_dir
        self.limit = limit
        self.in_use = 0

    @contextlib.contextmanager
    def hold(self, declared: int | None) -> Iterator[UploadHold]:
        """Reserve ``declared`` bytes (``None``: reserve as bytes arrive) for one request;
        released when the request ends (a stored task's file belongs to the task).

        Raises:
            ApiProblem: 503 when uploads in flight already hold too much, 507 when the
                disk has not that much free space.
        """
        hold = UploadHold(self)
        try:
            hold.grow_to(declared or 0)
            yield hold
        finally:
            self.in_use -= hold.reserved

    def check(self, declared: int | None) -> None:
        """Refuse now what :meth:`hold` would refuse for ``declared`` bytes, reserving
        nothing: an expect handler's answer, before the client is invited to send.

        Raises:
            ApiProblem: 503 or 507, as :meth:`hold`.
        """
        if declared:
            self._refuse_unless_fits(declared)

    def _take(self, n: int) -> None:
        self._refuse_unless_fits(n)
        self.in_use += n

    def _refuse_unless_fits(self, n: int) -> None:
        if self.in_use + n > self.limit:
            raise ApiProblem(
                503,
                "service_unavailable",
                f"Uploads in flight already hold {self.in_use / 1e9:.1f} GB of disk (the "
                f"engine allows {self.limit / 1e9:.1f} GB at once); retry shortly.",
            )
        disk = shutil.disk_usage(self.media_dir)
        margin = min(FREE_SPACE_MARGIN, disk.total // 10)
        free = disk.free
        if n and free - n < margin:
            raise ApiProblem(
                507,
                "insufficient_storage",
                "The engine cannot store the request: No space left on device for this "
                f"upload ({free / 1e9:.1f} GB free). Free space in its data directory and "
                "try again.",
            )


class UploadHold:
    """One request's reservation; ``grow_to`` as the file gets bigger than reserved."""

    def __init__(self, space: UploadSpace) -> None:
        self._space = space
        self.reserved = 0

    def grow_to(self, size: int) -> None:
        if size > self.reserved:
            self._space._take(size - self.reserved)
            self.reserved = size
