"""The side of the Ray executor that runs inside a Ray worker process.

One plain function, :func:`run_job`, is the Ray task: it puts each media file where the
job expects it (bytes from the object store, a shared path, or a URL under a shared root),
warms the encoder once per worker process, runs the job and reports where it ran. It
imports nothing from Ray at module level, so the engine can build a :class:`ShippedVideo`
without Ray, and a job's own exception comes back as a value (never as Ray's wrapper).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from ..media.files import with_media_files

URL_READ_TIMEOUT_SEC = 60.0
"""A worker gives up on a shared-root URL that sends nothing for this long."""

_WARM_ENCODERS: set[str] = set()
"""Encoder specs this worker process has already built (``load_encoder`` caches them)."""


@attrs.frozen
class ShippedVideo:
    """How one media file reaches the worker: exactly one of ``data``, ``path``, ``url``.

    Attributes:
        data: the file's bytes (Ray carries an argument over 100 KiB in its object store).
        path: a file under the shared directory, at the same path on every node.
        url: the file under the shared root URL; the worker downloads it first.
        suffix: the original file's suffix, kept for the temporary copy.
    """

    data: bytes | None = None
    path: str | None = None
    url: str | None = None
    suffix: str = ""

    @property
    def mode(self) -> str:
        return "bytes" if self.data is not None else "path" if self.path else "url"


@attrs.frozen
class JobOutcome:
    """What came back from one job, and where it ran.

    Attributes:
        value: the job's return value (when ``error`` is ``None``).
        error: the job's own exception, passed through unchanged.
        node_id, node_ip, hostname, pid: the Ray node and worker process that ran it.
        encoder_cold: the job built its encoder (the first job on this worker process).
        seconds: time spent in the worker, including getting the video.
    """

    value: Any
    error: BaseException | None
    node_id: str
    node_ip: str
    hostname: str
    pid: int
    encoder_cold: bool
    seconds: float


def run_job(
    fn: Callable[..., Any], args: tuple[Any, ...], files: dict[str, ShippedVideo]
) -> JobOutcome:
    """The Ray task body: ``fn(*args)`` with every media file in ``args`` (keyed by its path
    on the engine's machine in ``files``) replaced by a local copy."""
    import ray

    started = time.perf_counter()
    cold = False
    value: Any = None
    error: BaseException | None = None
    try:
        with contextlib.ExitStack() as stack:
            here = {path: stack.enter_context(_materialised(f)) for path, f in files.items()}
            args = with_media_files(args, here)
            encoder = next(
                (a.encoder for a in args if isinstance(getattr(a, "encoder", None), str)), None
            )
            if encoder is not None:
                cold = _warm_encoder(encoder)
            value = fn(*args)
    except Exception as exc:  # the job's own failure: hand it back, do not let Ray retry
        error = exc
    ctx = ray.get_runtime_context()
    return JobOutcome(
        value=value,
        error=error,
        node_id=ctx.get_node_id(),
        node_ip=ray.util.get_node_ip_address(),  # type: ignore[no-untyped-call]
        hostname=socket.gethostname(),
        pid=os.getpid(),
        encoder_cold=cold,
        seconds=time.perf_counter() - started,
    )


def _warm_encoder(spec: str) -> bool:
    """Build the encoder once per worker process; True the first time (a cold start)."""
    from ..media.encoders import load_encoder

    if spec in _WARM_ENCODERS:
        return False
    load_encoder(spec)
    _WARM_ENCODERS.add(spec)
    return True


def scratch_root() -> Path:
    """Where Ray workers keep the videos of their running jobs: ``<tmp>/twelvelabs-embed-ray``."""
    return Path(tempfile.gettempdir()) / "twelvelabs-embed-ray"


def _scratch_dir() -> str:
    """This worker process's folder under :func:`scratch_root`, after removing the folders of
    worker processes that are gone (a job killed at its time limit leaves its video)."""
    root = scratch_root()
    mine = root / str(os.getpid())
    mine.mkdir(parents=True, exist_ok=True)
    for other in root.iterdir():
        if other.name.isdigit() and other != mine and not _alive(int(other.name)):
            shutil.rmtree(other, ignore_errors=True)
    return str(mine)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # another user's live process
        return True
    return True


@contextlib.contextmanager
def _materialised(video: ShippedVideo) -> Iterator[str]:
    """A local file path holding ``video`` for the duration of the job.

    A shared path is used as it is; bytes and URLs go to a temporary file removed after.
    """
    if video.path is not None:
        yield video.path
        return
    fd, tmp = tempfile.mkstemp(prefix="video-", suffix=video.suffix, dir=_scratch_dir())
    try:
        with os.fdopen(fd, "wb") as out:
            if video.data is not None:
                out.write(video.data)
            else:
                assert video.url is not None
                with urllib.request.urlopen(video.url, timeout=URL_READ_TIMEOUT_SEC) as resp:
                    shutil.copyfileobj(resp, out, 1 << 20)
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
