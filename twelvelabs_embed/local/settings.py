"""Engine settings: one frozen object built by ``LocalEngine`` or the command line."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ..video_rules import MAX_FILE_SIZE_BYTES, RETENTION_DAYS

API_VERSION = "v1.3"
API_PREFIX = "/" + API_VERSION
CONTROL_PREFIX = "/_engine"
"""Where the test-double control plane is served (``control=True`` only)."""


@attrs.frozen
class EngineSettings:
    """Everything the engine needs to know; defaults match the platform.

    Attributes:
        data_dir: holds ``tasks.sqlite3`` and ``media/`` (uploads and downloads in flight).
        api_key: when set, every API request must send it as ``x-api-key``; ``None`` is open.
        workers: processes that decode and embed videos (and concurrent tasks).
        allow_private_urls: let ``video_url`` reach loopback/private addresses (tests, LANs).
        max_file_size: upload and download limit in bytes (the platform's 2 GB).
        retention_days: tasks older than this are purged and answer 404.
        purge_interval_sec: how often the retention purge runs while serving.
        fetch_timeout_sec: total time allowed for one ``video_url`` download.
        fetch_connect_timeout_sec / fetch_read_timeout_sec: per-connect and per-read limits.
        max_redirects: redirects followed for ``video_url``; each hop is re-checked.
        max_downloads: ``video_url`` downloads at once (they never hold a media worker).
        fetch_min_rate / fetch_grace_sec: a download's response headers must arrive
            within ``fetch_grace_sec``, and from then on its average rate must stay at or
            above ``fetch_min_rate`` bytes/s, or it fails as too slow.
        encoder: which encoder turns frames into vectors (``media.segments.ClipPlan.encoder``).
        job_timeout_sec: longest one video may decode and embed before its worker is
            stopped and the task fails (a hung decoder must not hold a task forever);
            ``probe_timeout_sec`` is the same for the upload probe.
        max_connections: open HTTP connections at most (``None``: derived from the
            open-file limit, see ``http.server``); at the cap idle ones make room, else 503.
        header_timeout_sec: a connection must send a complete request header this soon
            after it opens (or after its previous response), or it is closed.
        body_min_rate / body_grace_sec: a request body must arrive at this many bytes/s
            on average once ``body_grace_sec`` have passed, or the request fails with 408.
        upload_space_bytes: disk all uploads in flight (task forms, direct asset uploads,
            chunk ``PUT``s) may hold together (``None``: twice
            ``max_file_size``); past it an upload is refused with 503.
        probe_workers: processes that probe uploads while their requests wait (more than
            one, so one slow probe never holds every other upload; each probe is bounded
            by ``rules.decode_limits``).
        control: serve the test-double control plane under ``/_engine/`` (needs a key).
        seed: seeds the fault rules' random draws (reproducible ``probability``).
        max_json_body: largest JSON body (Embed API v2) the engine reads, in bytes; room
            for a 36 MB file as base64 and the rest of the request.
        scenario: a scenario (faults, rate limits, lifecycle, clock) loaded at start.
        executor: where jobs run: ``"local"`` (a process pool of ``workers``) or ``"ray"``
            (a Ray cluster, extra ``[ray]``; ``workers`` is then the most jobs in flight).
        ray_address: ``"auto"``, ``"HOST:PORT"`` of the head node, or ``None`` for Ray's
            default (``RAY_ADDRESS``, else a private single-machine Ray).
        ray_inline_max_bytes: videos up to this size reach Ray workers as bytes through
            the object store; larger ones through ``ray_shared_dir`` when it is set.
        ray_shared_dir: a directory mounted at the same path on every Ray node.
        ray_shared_url: where ``ray_shared_dir`` is served over HTTP(S); workers then
            download from it instead of reading the path.
        ray_max_retries: Ray re-runs of a job whose worker process or node died.
        upload_chunk_size: the chunk size of multipart uploads; ``None`` follows the
            platform's plan (``rules.assets.chunk_size_for``). Tests set it small.
    """

    data_dir: Path
    api_key: str | None = None
    workers: int = 2
    allow_private_urls: bool = False
    max_file_size: int = MAX_FILE_SIZE_BYTES
    retention_days: float = RETENTION_DAYS
    purge_interval_sec: float = 3600.0
    fetch_timeout_sec: float = 600.0
    fetch_connect_timeout_sec: float = 10.0
    fetch_read_timeout_sec: float = 60.0
    max_redirects: int = 3
    max_downloads: int = 4
    fetch_min_rate: float = 32 * 1024
    fetch_grace_sec: float = 30.0
    encoder: str = "descriptor"
    job_timeout_sec: float = 3600.0
    probe_timeout_sec: float = 120.0
    probe_workers: int = 2
    max_connections: int | None = None
    upload_space_bytes: int | None = None
    header_timeout_sec: float = 60.0
    body_min_rate: float = 8 * 1024
    body_grace_sec: float = 30.0
    control: bool = False
    seed: int | None = None
    scenario: Mapping[str, Any] | None = None
    max_json_body: int = 64 * 1024 * 1024
    executor: str = attrs.field(default="local", validator=attrs.validators.in_(("local", "ray")))
    ray_address: str | None = None
    ray_inline_max_bytes: int = 64 << 20
    ray_shared_dir: Path | None = attrs.field(
        default=None, converter=attrs.converters.optional(Path)
    )
    ray_shared_url: str | None = None
    ray_max_retries: int = 1
    upload_chunk_size: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.control and not self.api_key:
            raise ValueError("the control plane needs an API key (control=True, api_key=...)")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "tasks.sqlite3"

    @property
    def assets_db_path(self) -> Path:
        return self.data_dir / "assets.sqlite3"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    def retention_cutoff_ms(self, now_ms: int) -> int:
        """Tasks created before this instant are expired: purged, and 404 until then."""
        return now_ms - int(self.retention_days * 86_400_000)


def discard(path: str | os.PathLike[str] | None) -> None:
    """Remove a file the engine owns, if it is there (a fast metadata call, safe in the loop)."""
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
