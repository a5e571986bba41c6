"""The bulk job engine behind ``client.embed.tasks.embed_many``.

Three kinds of workers share one journal, one rate gate and one result store:

* ``concurrency`` upload workers: preflight, fingerprint, then create through the gate
  (``max_retries=0``: the gate sees every 429 and owns the retry);
* one poll loop over every task still processing, at most ``poll_concurrency``
  status requests at a time, one round every ``poll_interval`` seconds;
* ``poll_concurrency`` retrieve workers: fetch, write the part file, mark ``retrieved``.

Every state change is committed before the next step starts, so cancelling (Ctrl-C) at
any await leaves the journal consistent; see :mod:`.journal` for what each state means
to the next run.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

import attrs

from .._aio import to_thread
from .._retry import backoff_delay
from .._transport import Request
from .._upload import UploadError
from ..errors import ApiError, ConflictError, NotFoundError, TooManyRequestsError
from ..models import EmbeddingMatrix, TasksCreateResponse
from ..resources._base import parse
from . import identity, resume
from .failures import AMBIGUOUS, TRANSIENT, error_code, failure_message
from .gate import RateGate
from .identity import JobInput
from .journal import DONE_STATES, Entry, Journal, next_step, restart_state
from .models import ItemResult, JobOptions, JobProgress
from .output import PartStore

if TYPE_CHECKING:
    from ..resources.embed_tasks import AsyncTasksClient

log = logging.getLogger("twelvelabs_embed")

ProgressCallback = Callable[[JobProgress], Awaitable[None] | None]
"""May be a plain function or a coroutine function (the sync client needs the await)."""


@attrs.frozen
class _Crash:
    error: BaseException


_PROGRESS = object()
"""Queued by workers so ``on_progress`` runs in the consumer's context (the sync client
runs callbacks in the caller's thread only while the caller waits for an item)."""


class EmbedJob:
    """One run over ``inputs``; iterate :meth:`results` once."""

    def __init__(
        self,
        tasks: AsyncTasksClient,
        inputs: Sequence[JobInput],
        journal: Journal,
        store: PartStore | None,
        options: JobOptions,
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
        self._wake = asyncio.Event()
        self._polls = asyncio.Semaphore(options.poll_concurrency)
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

    # --- uploads -------------------------------------------------------------------

    async def _upload_worker(self) -> None:
        while True:
            inp = await self._uploads.get()
            await self._create(inp)

    async def _create(self, inp: JobInput) -> None:
        try:
            await self._fingerprint(inp)
            request = await self._request(inp)
        except (ApiError, OSError, ValueError, TypeError) as exc:
            await self._fail(inp, exc, retryable=False)
            return
        errors = 0
        while True:
            try:
                if self._entries[inp.key].state == "uploading":
                    adopted = await self._reconcile(inp, self._entries[inp.key])
                    if adopted is not None:
                        log.info(
                            "adopted task %s for %s (created before a crash)", adopted, inp.source
                        )
                        await self._created(inp, adopted)
                        return
                if await self._send_create(inp, request):
                    return
            except UploadError as exc:  # the file changed or became unreadable mid-upload
                await self._fail(inp, exc, retryable=True)
                return
            except TRANSIENT as exc:  # 429s never get here: the gate handles them
                errors += 1
                if errors >= self.options.max_attempts:
                    await self._fail(inp, exc, retryable=True)
                    return
                log.warning("create for %s failed (%s); retrying", inp.source, exc)
                await asyncio.sleep(backoff_delay(errors - 1))

    async def _send_create(self, inp: JobInput, request: Request) -> bool:
        """One attempt through the gate; True when the input has moved on."""
        await self.gate.acquire()
        try:
            attempt = uuid.uuid4().hex
            await self._set(self.journal.begin_upload(inp.key, attempt, time.time()))
            response = await self.tasks._transport.send(request)
        except TooManyRequestsError as exc:
            pause = self.gate.limited(exc.headers or {})
            log.info("rate limited; all creates wait %.1f s", pause)
            await self._set(self.journal.refused(inp.key))
            return False
        except AMBIGUOUS:
            self.gate.released()  # the outcome is unknown: stay "uploading", reconcile next
            raise
        except ConflictError:
            self.gate.released()
            await self._set(self.journal.refused(inp.key))
            raise
        except ApiError as exc:
            self.gate.released()
            await self._set(self.journal.refused(inp.key))
            await self._fail(inp, exc, retryable=False)
            return True
        except BaseException:
            self.gate.released()
            raise
        finally:
            self._upload_bytes.pop(inp.key, None)
        self.gate.succeeded(response.headers)
        created = parse(response, TasksCreateResponse)
        if not created.id:
            await self._fail(
                inp, code="invalid_response", message="create returned no task id", retryable=True
            )
            return True
        await self._created(inp, created.id)
        return True

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

    async def _request(self, inp: JobInput) -> Request:
        def on_upload(sent: int, total: int | None) -> None:
            self._upload_bytes[inp.key] = (sent, total or 0)
            self._report()

        return await self.tasks._create_request(
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

    # --- polling and retrieving -----------------------------------------------------

    def _watch(self, inp: JobInput) -> None:
        task_id = self._entries[inp.key].task_id
        assert task_id is not None
        self._watching[task_id] = (inp, time.monotonic())
        self._wake.set()

    async def _poll_loop(self) -> None:
        while True:
            if not self._watching:
                self._wake.clear()
                await self._wake.wait()
                continue
            await asyncio.gather(
                *(self._poll(t, i, s) for t, (i, s) in list(self._watching.items()))
            )
            await asyncio.sleep(self.options.poll_interval)

    async def _poll(self, task_id: str, inp: JobInput, since: float) -> None:
        async with self._polls:
            try:
                status = await self.tasks.status(task_id)
            except NotFoundError:
                del self._watching[task_id]
                log.warning("task %s for %s is gone; creating it again", task_id, inp.source)
                await self._set(self.journal.reset(inp.key))
                self._uploads.put_nowait(inp)
                return
            except TRANSIENT as exc:
                log.warning("polling task %s failed (%s); will poll again", task_id, exc)
                return
            except ApiError as exc:
                del self._watching[task_id]
                await self._fail(inp, exc, retryable=False)
                return
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
        while True:
            try:
                result = await self.tasks.retrieve(
                    task_id, embedding_option=inp.params.get("embedding_option")
                )
                matrix = result.to_numpy()
                break
            except NotFoundError:
                await self._set(self.journal.reset(inp.key))
                self._uploads.put_nowait(inp)
                return
            except TRANSIENT as exc:
                errors += 1
                if errors >= self.options.max_attempts:
                    await self._fail(inp, exc, retryable=True)
                    return
                await asyncio.sleep(backoff_delay(errors - 1))
            except (ApiError, ValueError) as exc:
                await self._fail(inp, exc, retryable=False)
                return
        if self.store is not None:
            model = result.model_name or inp.model_name
            await to_thread(self.store.write, task_id, inp.source, model, matrix)
        dim = int(matrix.vectors.shape[1]) if len(matrix) else 0
        await self._set(self.journal.retrieved(inp.key, len(matrix), dim))
        self._emit(inp, embeddings=matrix)


async def run_job(
    tasks: AsyncTasksClient,
    inputs: Sequence[identity.InputLike],
    defaults: dict[str, Any],
    *,
    journal: str | os.PathLike[str] | None,
    out: str | os.PathLike[str] | None,
    options: JobOptions,
    on_progress: ProgressCallback | None = None,
) -> AsyncGenerator[ItemResult, None]:
    """Open the journal and the result store, run the job, close both (also on Ctrl-C)."""
    items = identity.make_inputs(inputs, defaults)
    store = PartStore(out) if out is not None else None
    async with Journal(journal) as opened:
        job = EmbedJob(tasks, items, opened, store, options, on_progress=on_progress)
        async with aclosing(job.results()) as results:
            async for item in results:
                yield item
