"""Whether a request body may come in at all, decided before it is read (issue #20 item 10).

- ``Expect: 100-continue``: aiohttp answers "continue" before any handler or middleware
  runs, so a client that declares 100 GB is invited to send it. Every route that takes a
  body has an expect handler made by :func:`expect_handler` from the route's own checks:
  :data:`expect_continue` (task and embedding routes: the key, then the largest file),
  the asset routes' (``http/assets.py``, ``http/multipart_uploads.py``: the key or the
  chunk URL's signature, then their own limit). A refusal is answered *instead* of
  inviting the body.
- A declared body over the limit without ``Expect`` is refused before it is read too
  (:func:`check_declared_size`); the disk all uploads in flight may hold together is
  :class:`~twelvelabs_embed.local.upload_space.UploadSpace`'s concern.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import HttpVersion11, web

from ... import video_rules
from ..app_keys import SETTINGS, UPLOAD_SPACE
from .middlewares import OPEN_PATHS, json_error, wants_v2_errors
from .problems import ApiProblem, from_violations

FORM_OVERHEAD = 16 * 1024 * 1024
"""Bytes a form may carry beside its file (text fields, part headers, boundaries)."""


def body_limit(request: web.Request) -> int:
    """The largest body any route takes: the biggest file, plus the form around it."""
    return request.app[SETTINGS].max_file_size + FORM_OVERHEAD


Admit = Callable[[web.Request], Awaitable[None]]
"""A route's checks on a request's headers alone; raises :class:`ApiProblem` to refuse."""
ExpectHandler = Callable[[web.Request], Awaitable[web.StreamResponse | None]]


def expect_handler(admit: Admit) -> ExpectHandler:
    """An ``Expect: 100-continue`` handler that runs ``admit`` and answers its refusal
    (a final response; the body is never read) instead of inviting the body."""

    async def handler(request: web.Request) -> web.StreamResponse | None:
        if request.headers.get("Expect", "").lower() != "100-continue":
            return json_error(
                417, "expectation_failed", "Only `Expect: 100-continue` is supported."
            )
        try:
            await admit(request)
        except ApiProblem as p:
            response = json_error(p.status, p.code, p.message, v2=wants_v2_errors(request))
            response.force_close()
            return response
        if request.version == HttpVersion11:  # as aiohttp's own expect handler does
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0
        return None

    return handler


def check_key(request: web.Request) -> None:
    """The auth middleware's check, for an expect handler (which runs before it).

    Raises:
        ApiProblem: 401 for a missing or wrong ``x-api-key``.
    """
    expected = request.app[SETTINGS].api_key
    if expected is not None and request.path not in OPEN_PATHS:
        sent = request.headers.get("x-api-key", "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(sent, expected.encode("utf-8", "surrogateescape")):
            raise ApiProblem(
                401,
                "api_key_invalid",
                "API Key is either invalid or expired. Please check your API key and try again.",
            )


def check_declared(request: web.Request, limit: int, too_large: Callable[[], ApiProblem]) -> None:
    """Refuse a declared body over ``limit`` before a byte of it is read.

    Raises:
        ApiProblem: ``too_large()``, the route's own refusal.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large()


def keyed_with_limit(
    limit: Callable[[web.Request], int], too_large: Callable[[], ApiProblem]
) -> Admit:
    """The admission of a keyed route whose bodies may be at most ``limit(request)``."""

    async def admit(request: web.Request) -> None:
        check_key(request)
        check_declared(request, limit(request), too_large)

    return admit


def file_too_large(request: web.Request) -> ApiProblem:
    limit = request.app[SETTINGS].max_file_size
    return from_violations(video_rules.check_file_size(limit + 1, limit, lower_bound=True))


def check_declared_size(request: web.Request) -> None:
    """Refuse a declared body over :func:`body_limit` before reading it (no ``Expect``).

    Raises:
        ApiProblem: the platform's "file too large" refusal.
    """
    check_declared(request, body_limit(request), lambda: file_too_large(request))


def check_space(request: web.Request) -> None:
    """Refuse a declared body that the disk budget of uploads in flight cannot take now.

    Raises:
        ApiProblem: 503 (uploads in flight hold too much) or 507 (the disk is full).
    """
    request.app[UPLOAD_SPACE].check(request.content_length)


async def _admit_task_body(request: web.Request) -> None:
    check_key(request)
    check_declared_size(request)


async def _admit_upload(request: web.Request) -> None:
    await _admit_task_body(request)
    check_space(request)


expect_continue = expect_handler(_admit_task_body)
"""The expect handler of the embedding routes (bodies read into memory): the key, then
the largest file."""
expect_upload = expect_handler(_admit_upload)
"""The expect handler of ``POST /embed/tasks``, whose file goes to disk: the key, the
largest file, then the disk budget of uploads in flight."""
