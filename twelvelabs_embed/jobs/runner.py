"""The bulk job engine behind ``client.embed.tasks.embed_many``.

Three kinds of workers share one journal, one rate gate and one result store:

* ``concurrency`` upload workers: preflight, fingerprint, then create through the gate
  (``max_retries=0``: the gate sees every 429 and owns the retry; :mod:`.uploads`);
* the client's one poller (:mod:`..resources._poller`, handed in by ``embed_many``)
  over every task still processing, at most ``poll_concurrency`` status requests at a
  time, every ``poll_interval`` seconds until tasks finish, then near the time they
  take (its schedule); each created task joins it, and a round's answers are handled
  together (their journal writes share a commit);
* ``poll_concurrency`` retrieve workers: fetch, write the part file, mark ``retrieved``.

It uses only the public tasks client (:class:`.tasks_api.TasksApi`). Creates and
retrieves retry through the transport's attempts loop (:func:`.._retry.with_attempts`);
what is worth retrying or ambiguous is what the error itself says (:mod:`..errors`).

Every state change is committed before the next step starts, so cancelling (Ctrl-C) at
any await leaves the journal consistent; see :mod:`.journal` for what each state means
to the next run.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING

import attrs

from .._aio import gather_or_cancel, to_thread
from .._retry import backoff_delay, with_attempts
from ..errors import (
    NotFoundError,
    TwelveLabsError,
    is_retryable,
)
from ..types import (
    EmbeddingMatrix,
    ItemResult,
    JobOptions,
    JobProgress,
    TasksRetrieveResponse,
    TasksStatusResponse,
)
from . import identity, resume
from .failures import error_code, failure_message
from .gate import RateGate
from .identity import JobInput
from .journal import DONE_STATES, Entry, Journal, next_step, restart_state
from .output import PartStore
from .tasks_api import TasksApi
from .uploads import UploadSteps

if TYPE_CHECKING:  # the client hands its poller in: jobs/ imports nothing from resources/
    from ..resources._poller import Polled, TaskPoller

log = logging.getLogger("twelvelabs_embed")

ProgressCallback = Callable[[JobProgress], Awaitable[None] | None]
"""May be a plain function or a coroutine function (the sync client needs the await)."""


@attrs.frozen
class _Crash:
    error: BaseException


_PROGRESS = object()
"""Queued by workers so ``on_progress`` runs in the consumer's context (the sync client
runs callbacks in the caller's thread only while the caller waits for an item)."""


class EmbedJob(UploadSteps):
    """One run over ``inputs``; iterate :meth:`results` once."""

    def __init__(
        self,
        tasks: TasksApi,
        inputs: Sequence[JobInput],
        journal: Journal,
        store: PartStore | None,
        options: JobOptions,
        poller: TaskPoller[TasksStatusResponse],
        *,
        gate: RateGate | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.tasks = tasks
        self.inputs = list(inputs)
        self.journal = journal
        self.store = store
        self.options = options
        self.gate = gate or RateGate()
        self._on_progress = on_progress
        self._index = {inp.key: n for n, inp in enumerate(self.inputs)}
        self._entries: dict[str, Entry] = {}
        self._uploads: asyncio.Queue[JobInput] = asyncio.Queue()
        self._retrievals: asyncio.Queue[JobInput] = asyncio.Queue()
        self._out: asyncio.Queue[ItemResult | _Crash | object] = asyncio.Queue()
        self._progress_queued = False
        self._watching: dict[str, tuple[JobInput, float]] = {}
        self._poller = poller
        self._started = 0.0
        self._video_sec = 0.0
        self._finished = 0
        self._failed_this_run = 0
        self._upload_bytes: dict[str, tuple[int, int]] = {}
        """(sent, total) of each upload in flight, for the progress line."""
        sigs = Counter(resume.signature(i) for i in self.inputs)
        self._ambiguous = {s for s, n in sigs.items() if n > 1}

    # --- the run -------------------------------------------------------------------

    async def results(self) -> AsyncGenerator[ItemResult, None]:
        """Yield one :class:`ItemResult` per input as it ends (resumed ones first)."""
        self._started = time.monotonic()
        for entry in await self.journal.register(self.inputs):
            self._entries[entry.key] = entry
        known = sum(e.state != "pending" for e in self._entries.values())
        if known and self._on_progress is not None:  # a resumed job: say why it waits
            result = self._on_progress(attrs.evolve(self.progress(), checking=known))
            if inspect.isawaitable(result):
                await result
        await self._prepare()
        workers = [self._spawn(self._upload_worker) for _ in range(self.options.concurrency)]
        workers += [
            self._spawn(self._retrieve_worker) for _ in range(self.options.poll_concurrency)
        ]
        workers.append(self._spawn(self._poll_loop))
        for inp in self.inputs:
            self._dispatch(inp)
        try:
            left = len(self.inputs)
            while left:
                item = await self._out.get()
                if isinstance(item, _Crash):
                    raise item.error
                if isinstance(item, ItemResult):
                    left -= 1
                    yield item
                elif self._on_progress is not None:
                    self._progress_queued = False
                    result = self._on_progress(self.progress())
                    if inspect.isawaitable(result):
                        await result
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            # Re-read: a transition cancelled mid-await may have committed anyway.
            for entry in await self.journal.entries(list(self._index)):
                self._entries[entry.key] = entry
            self._merge()

    def _spawn(self, worker: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        async def guarded() -> None:
            try:
                await worker()
            except Exception as exc:  # a bug: surface it to the consumer, do not hang
                self._out.put_nowait(_Crash(exc))

        return asyncio.ensure_future(guarded())

    async def _prepare(self) -> None:
        """Reconcile the journal with the files on disk and with the result store."""
        retrieved: dict[str, JobInput] = {}
        for inp in self.inputs:
            e = self._entries[inp.key]
            known = inp.kind == "file" and e.size is not None and e.state != "pending"
            if known and await resume.content_changed(self.journal, inp, e):
                log.info("%s changed since it was embedded; embedding it again", inp.source)
                e = await self._set(self.journal.reset(inp.key))
            restart = restart_state(e, retry_failed=self.options.retry_failed)
            if restart is not None:
                e = await self._set(self.journal.reset(inp.key, restart))
            if e.state == "retrieved" and e.task_id is not None:
                retrieved[e.task_id] = inp
        if self.store is not None and retrieved:
            missing = await to_thread(self.store.recover, set(retrieved))
            for task_id in missing:
                await self._set(self.journal.reset(retrieved[task_id].key, "ready"))

    def _dispatch(self, inp: JobInput) -> None:
        step = next_step(self._entries[inp.key].state)
        if step == "report":
            self._emit(inp, resumed=True)
        elif step == "poll":
            self._watch(inp)
        elif step == "retrieve":
            self._retrievals.put_nowait(inp)
        else:
            self._uploads.put_nowait(inp)

    def _merge(self) -> None:
        if self.store is None:
            return
        done = [
            (e.task_id, inp.source)
            for inp in self.inputs
            if (e := self._entries[inp.key]).state == "retrieved" and e.task_id
        ]
        self.store.merge(done)
        if all(e.state in DONE_STATES for e in self._entries.values()):
            self.store.cleanup()

    # --- bookkeeping ---------------------------------------------------------------

    async def _set(self, change: Awaitable[Entry]) -> Entry:
        entry = await change
        self._entries[entry.key] = entry
        self._report()
        return entry

    def progress(self) -> JobProgress:
        counts = Counter(e.state for e in self._entries.values())
        return JobProgress(
            total=len(self.inputs),
            counts=dict(counts),
            done=counts["retrieved"] + counts["failed"],
            failed=counts["failed"],
            elapsed_sec=time.monotonic() - self._started,
            video_sec=self._video_sec,
            finished_this_run=self._finished,
            failed_this_run=self._failed_this_run,
            rate_limited=self.gate.limited_count,
            upload_bytes_sent=sum(sent for sent, _ in self._upload_bytes.values()),
            upload_bytes_total=sum(total for _, total in self._upload_bytes.values()),
        )

    def _report(self) -> None:
        if self._on_progress is not None and not self._progress_queued:
            self._progress_queued = True
            self._out.put_nowait(_PROGRESS)

    def _emit(
        self, inp: JobInput, *, resumed: bool = False, embeddings: EmbeddingMatrix | None = None
    ) -> None:
        e = self._entries[inp.key]
        self._report()  # before the item: the consumer sees the final counts too
        if not resumed:
            self._finished += 1
            self._failed_this_run += e.state == "failed"
            self._video_sec += e.duration or 0.0
        self._out.put_nowait(
            ItemResult(
                index=self._index[inp.key],
                source=inp.source,
                key=inp.key,
                state=e.state,
                task_id=e.task_id,
                segments=e.segments,
                dimension=e.dimension,
                duration=e.duration,
                error_code=e.error_code,
                error_message=e.error_message,
                retryable=e.retryable,
                resumed=resumed,
                embeddings=embeddings,
            )
        )

    async def _fail(
        self,
        inp: JobInput,
        exc: BaseException | None = None,
        *,
        retryable: bool,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        code = code or (error_code(exc) if exc else "failed")
        message = message or (failure_message(exc) if exc else code)
        await self._set(self.journal.failed(inp.key, code, message, retryable=retryable))
        self._emit(inp)

    # --- polling and retrieving -----------------------------------------------------

    def _watch(self, inp: JobInput) -> None:
        task_id = self._entries[inp.key].task_id
        assert task_id is not None
        self._watching[task_id] = (inp, time.monotonic())
        self._poller.add(task_id)

    async def _poll_loop(self) -> None:
        rounds = self._poller.rounds()
        async with aclosing(rounds):
            async for answers in rounds:
                # together: the round's journal writes share one commit (group commit)
                await gather_or_cancel(self._polled(answer) for answer in answers)

    async def _polled(self, answer: Polled[TasksStatusResponse]) -> None:
        task_id = answer.task_id
        inp, since = self._watching[task_id]
        if answer.error is not None:
            del self._watching[task_id]
            if isinstance(answer.error, NotFoundError):
                log.warning("task %s for %s is gone; creating it again", task_id, inp.source)
                await self._set(self.journal.reset(inp.key))
                self._uploads.put_nowait(inp)
            else:
                await self._fail(inp, answer.error, retryable=False)
            return
        status = answer.status
        assert status is not None
        timeout = self.options.timeout
        if status.status == "ready":
            del self._watching[task_id]
            meta = status.video_embedding.metadata if status.video_embedding else None
            await self._set(self.journal.ready(inp.key, meta.duration if meta else None))
            self._retrievals.put_nowait(inp)
        elif status.status == "failed":
            del self._watching[task_id]
            err = status.error
            code = (err.code if err else None) or "task_failed"
            reason = (err.message if err else None) or "the platform gave no reason"
            await self._fail(inp, code=code, message=reason, retryable=False)
        elif timeout is not None and time.monotonic() - since > timeout:
            del self._watching[task_id]
            self._poller.discard(task_id)
            message = f"task {task_id} did not finish within {timeout} s"
            await self._fail(inp, code="wait_timeout", message=message, retryable=True)

    async def _retrieve_worker(self) -> None:
        while True:
            inp = await self._retrievals.get()
            await self._retrieve(inp)

    async def _retrieve(self, inp: JobInput) -> None:
        task_id = self._entries[inp.key].task_id
        assert task_id is not None
        errors = 0

        def retry_in(exc: Exception, _attempt: int) -> float | None:
            nonlocal errors
            if isinstance(exc, NotFoundError) or not is_retryable(exc):
                return None
            errors += 1
            return None if errors >= self.options.max_attempts else backoff_delay(errors - 1)

        async def fetch(_attempt: int) -> tuple[TasksRetrieveResponse, EmbeddingMatrix]:
            result = await self.tasks.retrieve(
                task_id, embedding_option=inp.params.get("embedding_option")
            )
            return result, result.to_numpy()

        try:
            result, matrix = await with_attempts(fetch, retry_in)
        except NotFoundError:
            await self._set(self.journal.reset(inp.key))
            self._uploads.put_nowait(inp)
            return
        except (TwelveLabsError, ValueError) as exc:
            await self._fail(inp, exc, retryable=is_retryable(exc))
            return
        if self.store is not None:
            model = result.model_name or inp.model_name
            await to_thread(self.store.write, task_id, inp.source, model, matrix)
        dim = int(matrix.vectors.shape[1]) if len(matrix) else 0
        await self._set(self.journal.retrieved(inp.key, len(matrix), dim))
        self._emit(inp, embeddings=matrix)


CREATE_DEFAULTS = (
    "model_name",
    "video_clip_length",
    "video_embedding_scope",
    "video_start_offset_sec",
    "video_end_offset_sec",
    "embedding_option",
)
"""The :class:`JobOptions` fields that are per-input parameters (an input mapping's win)."""


async def run_job(
    tasks: TasksApi,
    inputs: Sequence[identity.InputLike],
    options: JobOptions,
    poller: TaskPoller[TasksStatusResponse],
    *,
    on_progress: ProgressCallback | None = None,
) -> AsyncGenerator[ItemResult, None]:
    """Open the journal and the result store, run the job, close both (also on Ctrl-C).

    ``poller`` is the client's one poller (``keep_running=True``, empty): the job adds
    each task it creates. The client hands it in, so ``jobs/`` never imports the client.
    """
    defaults = {name: getattr(options, name) for name in CREATE_DEFAULTS}
    items = identity.make_inputs(inputs, defaults)
    store = PartStore(options.out) if options.out is not None else None
    async with Journal(options.journal) as opened:
        job = EmbedJob(tasks, items, opened, store, options, poller, on_progress=on_progress)
        async with aclosing(job.results()) as results:
            async for item in results:
                yield item
