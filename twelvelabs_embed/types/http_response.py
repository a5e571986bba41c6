"""What a raw twin returns: the parsed body plus the HTTP facts of the answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

import attrs

T = TypeVar("T")


@attrs.frozen
class HttpResponse(Generic[T]):
    """``client.embed.tasks.with_raw_response.<method>(...)`` returns one of these.

    Attributes:
        data: the parsed body, what the plain method returns.
        status_code: the HTTP status (2xx: errors raise as usual).
        headers: the response headers, case-insensitive (``x-ratelimit-*`` live here).
        attempts: requests sent for this call: 1, plus one per retry.
    """

    data: T
    status_code: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    attempts: int = 1

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` header, when the server sent one."""
        return self.headers.get("x-request-id")


AsyncHttpResponse = HttpResponse
"""The official SDK's name for the async client's answer; one class serves both here."""
