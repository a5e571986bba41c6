"""Media jobs on a Ray cluster: one plain Ray task per job, behind the ``MediaExecutor`` interface.

Today's process-pool behaviour, mapped onto Ray:

- time limit: the caller waits at most ``timeout`` seconds, then ``ray.cancel(ref,
  force=True)`` kills the worker process, and ``run`` raises the pool's ``WorkerTimedOut``
  with the pool's message;
- a worker or node that dies mid-job: Ray re-runs the task (``max_retries``, default once)
  on any node, then ``run`` raises the pool's ``WorkerCrashed`` (the engine re-queues it as
  it does for the pool). The task runners' crash budget (3 runs) is one budget: they cap
  Ray's re-runs at what is left of it and count each run, so a video that kills its worker
  every time runs at most 3 times, as with the pool;
- the job's own exception (``JobRefused``, a decode error) comes back unchanged;
- at most as many jobs in flight as the cluster has CPUs for them (and never more than
  ``max_in_flight``), so time spent queueing inside Ray is not charged to the job's limit;
- ``aclose`` force-cancels every job still in flight.

Every local media file the job's spec names (fields marked ``MEDIA_FILE``, see
``media/files.py``) travels as bytes through Ray's object store up to ``inline_max_bytes``;
above that, when a shared directory is configured, as a copy there (read by path, or by URL
under ``shared_url``). Importing this module imports Ray: only the
executor factory does, and only for ``executor="ray"``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import shutil
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import attrs
import ray
from ray import exceptions as rex

from ..media.files import media_files
from .base import WorkerCrashed, WorkerTimedOut
from .ray_task import JobOutcome, ShippedVideo, run_job

T = TypeVar("T")

log = logging.getLogger(__name__)

NAMESPACE = "twelvelabs-embed"
SHARED_PREFIX = "tlray-"
"""Copies in the shared directory start with this; the executor removes stale ones at start."""
CAPACITY_REFRESH_SEC = 5.0
"""How often a saturated executor re-reads the cluster's CPUs (nodes join and leave)."""

CONNECT_TIMEOUT_SEC = 10.0
"""How long to wait for the head node's port to answer before giving up."""

_remote_job = ray.remote(run_job)


@attrs.frozen
class RayOptions:
    """How the engine uses Ray.

    Attributes:
        address: ``"auto"`` (the cluster this machine is part of), ``"HOST:PORT"`` of a head
            node, or ``None`` (Ray's own default: ``RAY_ADDRESS``, else a fresh local Ray).
        max_in_flight: the most jobs submitted at once (the engine's ``workers``).
        inline_max_bytes: videos up to this size go as bytes through the object store.
        shared_dir: a directory every node sees at the same path; larger videos are
            copied there (``None``: every video goes as bytes).
        shared_url: the URL under which ``shared_dir``'s files are served to workers; when
            set, workers download from it instead of reading the path.
        max_retries: re-runs of a job whose worker process or node died.
        num_cpus: CPUs one job reserves on its node.
    """

    address: str | None = "auto"
    max_in_flight: int = 2
    inline_max_bytes: int = 64 << 20
    shared_dir: Path | None = None
    shared_url: str | None = None
    max_retries: int = 1
    num_cpus: float = 1.0


@attrs.define
class _WorkerCount:
    jobs: int = 0
    encoder_loads: int = 0


@attrs.define
class _NodeCount:
    ip: str
    hostname: str
    jobs: int = 0
    workers: dict[int, _WorkerCount] = attrs.field(factory=dict)


class RayMediaExecutor:
    """Runs media jobs as Ray tasks; build it with :meth:`connect`."""

    def __init__(self, options: RayOptions, *, owns_connection: bool) -> None:
        if options.max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.options = options
        self._owns_connection = owns_connection
        self._in_flight: set[ray.ObjectRef[JobOutcome]] = set()
        self._running = 0
        self._changed = asyncio.Condition()
        self._cpus = 0.0
        self._cpus_read_at = -CAPACITY_REFRESH_SEC
        self._closed = False
        self._nodes: dict[str, _NodeCount] = {}
        self._by_mode: collections.Counter[str] = collections.Counter()
        self.jobs = 0
        self.timeouts = 0
        self.crashes = 0

    @classmethod
    async def connect(cls, options: RayOptions) -> RayMediaExecutor:
        """Join the Ray cluster (``ray.init`` off the event loop), or reuse this process's
        connection when it already has one (it is then left open at ``aclose``).

        Raises:
            ConnectionError: no cluster at ``options.address``.
        """
        owns = not ray.is_initialized()
        if owns:
            # Ray's native signal handler would print a stack dump on every normal SIGTERM.
            os.environ.setdefault("RAY_DISABLE_FAILURE_SIGNAL_HANDLER", "1")
            try:
                await asyncio.to_thread(_answers, options.address)
                await asyncio.to_thread(
                    ray.init,
                    address=options.address,
                    namespace=NAMESPACE,
                    log_to_driver=False,
                    configure_logging=False,
                )
            except (OSError, RuntimeError, ValueError) as exc:
                raise ConnectionError(
                    f"cannot join the Ray cluster at {options.address or 'the default address'}: "
                    f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                ) from exc
        if options.shared_dir is not None:
            options.shared_dir.mkdir(parents=True, exist_ok=True)
            _remove_stale_copies(options.shared_dir)
        executor = cls(options, owns_connection=owns)
        log.info(
            "media jobs run on Ray (%s, %g CPUs); videos over %d MiB go %s",
            options.address if owns else "this process's existing Ray connection",
            executor._cluster_cpus(),
            options.inline_max_bytes >> 20,
            f"via {options.shared_url or options.shared_dir}"
            if options.shared_dir
            else "as bytes too",
        )
        return executor

    async def run(
        self,
        fn: Callable[..., T],
        *args: Any,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> T:
        """Run ``fn(*args)`` as one Ray task; see the module docstring for the failure rules.
        ``retries`` caps Ray's re-runs after a crash below ``options.max_retries`` (the
        task runners pass what their crash budget has left).

        Raises:
            WorkerTimedOut: ``timeout`` seconds passed after the job was submitted.
            WorkerCrashed: the worker or node died on every attempt (``runs`` says how
                many there were).
        """
        max_retries = self.options.max_retries
        if retries is not None:
            max_retries = max(0, min(max_retries, retries))
        async with self._slot(), self._shipped(args) as files:
            ref = _remote_job.options(
                num_cpus=self.options.num_cpus,
                max_retries=max_retries,
                retry_exceptions=False,
            ).remote(fn, args, files)
            self._in_flight.add(ref)
            try:
                outcome = await self._wait(ref, timeout, max_retries)
            finally:
                self._in_flight.discard(ref)
        self._record(outcome, fn, files)
        if outcome.error is not None:
            raise outcome.error
        value: T = outcome.value
        return value

    async def _wait(
        self, ref: ray.ObjectRef[JobOutcome], timeout: float | None, max_retries: int
    ) -> JobOutcome:
        try:
            outcome: JobOutcome = await asyncio.wait_for(asyncio.wrap_future(ref.future()), timeout)
        except asyncio.TimeoutError:
            ray.cancel(ref, force=True)
            self.timeouts += 1
            log.warning("a media job ran past %s s; its Ray worker was killed", timeout)
            raise WorkerTimedOut(f"the job did not finish within {timeout:g} s") from None
        except asyncio.CancelledError:
            ray.cancel(ref, force=True)
            raise
        except rex.RayTaskError as exc:  # run_job itself failed (e.g. fn not importable there)
            raise (exc.cause or exc) from None
        except rex.RayError as exc:  # worker or node died on every attempt, object lost, OOM kill
            if self._closed:
                raise WorkerCrashed("the executor was closed mid-job") from exc
            self.crashes += 1
            log.warning("a Ray media job failed after %d retries: %s", max_retries, exc)
            raise WorkerCrashed(
                f"the worker process died: {type(exc).__name__}", runs=1 + max_retries
            ) from exc
        return outcome

    async def aclose(self) -> None:
        """Force-cancel the jobs in flight (their tasks stay ``processing`` and are re-queued
        at the next start), then leave the cluster if this executor joined it."""
        self._closed = True
        for ref in list(self._in_flight):
            ray.cancel(ref, force=True)
        if self._owns_connection:
            await asyncio.to_thread(ray.shutdown)

    def stats(self) -> dict[str, Any]:
        """Where jobs ran: per Ray node and worker process, plus totals (JSON-ready)."""
        return {
            "executor": "ray",
            "address": self.options.address,
            "cluster_cpus": self._cpus,
            "in_flight": len(self._in_flight),
            "jobs": self.jobs,
            "timeouts": self.timeouts,
            "crashes": self.crashes,
            "videos_by": dict(self._by_mode),
            "nodes": {
                node_id: {
                    "ip": n.ip,
                    "hostname": n.hostname,
                    "jobs": n.jobs,
                    "workers": {
                        str(pid): {"jobs": w.jobs, "encoder_loads": w.encoder_loads}
                        for pid, w in n.workers.items()
                    },
                }
                for node_id, n in self._nodes.items()
            },
        }

    # --- admission ------------------------------------------------------------------------

    def _cluster_cpus(self) -> float:
        now = time.monotonic()
        if now - self._cpus_read_at >= CAPACITY_REFRESH_SEC:
            self._cpus = float(ray.cluster_resources().get("CPU", 0.0))  # type: ignore[no-untyped-call]
            self._cpus_read_at = now
        return self._cpus

    def _capacity(self) -> int:
        fits = int(self._cluster_cpus() // self.options.num_cpus)
        return max(1, min(self.options.max_in_flight, fits))

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """Hold one of the ``_capacity()`` places for jobs in flight."""
        if self._closed:
            raise RuntimeError("the executor is closed")
        async with self._changed:
            while self._running >= self._capacity():
                if self._closed:
                    raise RuntimeError("the executor is closed")
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), CAPACITY_REFRESH_SEC)
            self._running += 1
        try:
            yield
        finally:
            async with self._changed:
                self._running -= 1
                self._changed.notify()

    # --- the media files ------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _shipped(self, args: tuple[Any, ...]) -> AsyncIterator[dict[str, ShippedVideo]]:
        """Each media file ``args`` name, by its path here, packed for the trip (copies in
        the shared directory are removed afterwards)."""
        files: dict[str, ShippedVideo] = {}
        copies: list[Path] = []
        try:
            for path in media_files(args):
                files[path], copy = await asyncio.to_thread(_pack, Path(path), self.options)
                copies += [copy] if copy is not None else []
            yield files
        finally:
            for copy in copies:
                with contextlib.suppress(FileNotFoundError):
                    copy.unlink()

    def _record(
        self, outcome: JobOutcome, fn: Callable[..., Any], files: dict[str, ShippedVideo]
    ) -> None:
        self.jobs += 1
        self._by_mode.update(f.mode for f in files.values())
        node = self._nodes.setdefault(
            outcome.node_id, _NodeCount(outcome.node_ip, outcome.hostname)
        )
        node.jobs += 1
        worker = node.workers.setdefault(outcome.pid, _WorkerCount())
        worker.jobs += 1
        worker.encoder_loads += outcome.encoder_cold
        log.info(
            "ray job %s on node %s (%s) worker pid %d: %s in %.0f ms%s",
            getattr(fn, "__name__", "job"),
            outcome.node_id[:12],
            outcome.node_ip,
            outcome.pid,
            "failed" if outcome.error is not None else "done",
            outcome.seconds * 1000,
            ", encoder loaded" if outcome.encoder_cold else "",
        )


def _answers(address: str | None) -> None:
    """Fail fast when nothing listens at ``HOST:PORT`` (``ray.init`` would retry for minutes).

    Raises:
        OSError: the connection was refused or timed out.
    """
    host, _, port = (address or "").rpartition(":")
    if host and port.isdigit() and "://" not in host:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_SEC):
            pass


def _pack(source: Path, opts: RayOptions) -> tuple[ShippedVideo, Path | None]:
    """The video as bytes, or as a copy in the shared directory (returned for removal)."""
    if opts.shared_dir is None or source.stat().st_size <= opts.inline_max_bytes:
        return ShippedVideo(data=source.read_bytes(), suffix=source.suffix), None
    copy = opts.shared_dir / f"{SHARED_PREFIX}{uuid.uuid4().hex}{source.suffix}"
    _link_or_copy(source, copy)
    if opts.shared_url:
        return ShippedVideo(
            url=f"{opts.shared_url.rstrip('/')}/{copy.name}", suffix=source.suffix
        ), copy
    return ShippedVideo(path=str(copy), suffix=source.suffix), copy


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link when both are on one filesystem (no bytes moved), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _remove_stale_copies(shared_dir: Path) -> None:
    """Copies a killed engine left behind (one engine per shared directory, as per data dir)."""
    for p in shared_dir.glob(f"{SHARED_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
