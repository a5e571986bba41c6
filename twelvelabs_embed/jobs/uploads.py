"""The upload side of a bulk job: fingerprint, prepare, create through the rate gate.

A create is prepared once (preflight, multipart framing) and sent through the public
client's raw twin, so every attempt sends the same bytes and the gate reads the answer's
``x-ratelimit-*`` headers. Attempts run through the transport's own loop
(:func:`.._retry.with_attempts`): a 429 is not counted (the gate holds every create
back), another error worth retrying is, and an ambiguous one (a task may exist) leaves
the input ``uploading`` so the next attempt first looks for that task.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from .._aio import to_thread
from .._retry import backoff_delay, with_attempts
from ..errors import ApiError, TooManyRequestsError, TwelveLabsError, UploadError, is_retryable
from ..types import JobOptions
from . import identity, resume
from .gate import RateGate
from .identity import JobInput
from .journal import Entry, Journal
from .tasks_api import TasksApi

if TYPE_CHECKING:  # the job sees the client only through TasksApi: no import of resources/
    from ..resources.embed_tasks_raw import PreparedCreate

log = logging.getLogger("twelvelabs_embed")


class UploadSteps:
    """The create steps of :class:`.runner.EmbedJob`, which provides the state below."""

    tasks: TasksApi
    journal: Journal
    options: JobOptions
    gate: RateGate
    _entries: dict[str, Entry]
    _upload_bytes: dict[str, tuple[int, int]]
    _uploads: asyncio.Queue[JobInput]
    _ambiguous: set[tuple[str, str, str]]

    async def _set(self, change: Awaitable[Entry]) -> Entry:
        raise NotImplementedError

    async def _fail(
        self,
        inp: JobInput,
        exc: BaseException | None = None,
        *,
        retryable: bool,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        raise NotImplementedError

    def _report(self) -> None:
        raise NotImplementedError

    def _watch(self, inp: JobInput) -> None:
        raise NotImplementedError

    async def _upload_worker(self) -> None:
        while True:
            inp = await self._uploads.get()
            await self._create(inp)

    async def _create(self, inp: JobInput) -> None:
        try:
            identity.check_input(inp)
            await self._fingerprint(inp)
            prepared = await self._prepare_create(inp)
        except (ApiError, OSError, ValueError, TypeError) as exc:
            await self._fail(inp, exc, retryable=False)
            return
        errors = 0

        def retry_in(exc: Exception, _attempt: int) -> float | None:
            nonlocal errors
            if isinstance(exc, TooManyRequestsError):
                return 0.0  # not counted: the gate holds the next attempt back
            if isinstance(exc, UploadError) or not is_retryable(exc):
                return None  # the file changed or became unreadable mid-upload
            errors += 1
            if errors >= self.options.max_attempts:
                return None
            log.warning("create for %s failed (%s); retrying", inp.source, exc)
            return backoff_delay(errors - 1)

        try:
            await with_attempts(lambda _: self._attempt_create(inp, prepared), retry_in)
        except TwelveLabsError as exc:  # worth retrying, but not now: a later run will
            await self._fail(inp, exc, retryable=True)

    async def _attempt_create(self, inp: JobInput, prepared: PreparedCreate) -> None:
        """One attempt through the gate; returns once the input has moved on, raises for
        another attempt (the error says whether it is worth one)."""
        entry = self._entries[inp.key]
        if entry.state == "uploading":
            adopted = await self._reconcile(inp, entry)
            if adopted is not None:
                log.info("adopted task %s for %s (created before a crash)", adopted, inp.source)
                await self._created(inp, adopted)
                return
        await self.gate.acquire()
        try:
            attempt = uuid.uuid4().hex
            await self._set(self.journal.begin_upload(inp.key, attempt, time.time()))
            raw = await self.tasks.with_raw_response.send_create(prepared)
        except TooManyRequestsError as exc:
            pause = self.gate.limited(exc.headers)
            log.info("rate limited; all creates wait %.1f s", pause)
            await self._set(self.journal.refused(inp.key))
            raise
        except TwelveLabsError as exc:
            self.gate.released()
            if exc.ambiguous:
                raise  # a task may exist: stay "uploading", the next attempt reconciles
            await self._set(self.journal.refused(inp.key))
            if exc.retryable:
                raise
            await self._fail(inp, exc, retryable=False)
            return
        except BaseException:
            self.gate.released()
            raise
        finally:
            self._upload_bytes.pop(inp.key, None)
        self.gate.succeeded(raw.headers)
        await self._created(inp, raw.data.id)

    async def _created(self, inp: JobInput, task_id: str) -> None:
        await self._set(self.journal.created(inp.key, task_id))
        self._watch(inp)

    async def _fingerprint(self, inp: JobInput) -> None:
        if inp.kind != "file" or self._entries[inp.key].sha256 is not None:
            return
        now = identity.stamp(inp.locator)
        if now is None:
            return  # the create below fails with the OS's own reason
        digest = await to_thread(identity.content_hash, inp.locator)
        await self._set(self.journal.set_fingerprint(inp.key, now.size, now.mtime_ns, digest))

    async def _prepare_create(self, inp: JobInput) -> PreparedCreate:
        def on_upload(sent: int, total: int | None) -> None:
            self._upload_bytes[inp.key] = (sent, total or 0)
            self._report()

        return await self.tasks.with_raw_response.prepare_create(
            inp.model_name,
            **inp.create_kwargs(),
            on_upload_progress=on_upload,
            request_options={"max_retries": 0},
        )

    async def _reconcile(self, inp: JobInput, e: Entry) -> str | None:
        if e.attempt_started is None or resume.signature(inp) in self._ambiguous:
            return None  # never attempted, or indistinguishable from another input
        claimed = await self.journal.task_ids()
        since = e.attempt_started - self.options.reconcile_window_sec
        return await resume.find_lost_task(self.tasks, inp, since, claimed)
