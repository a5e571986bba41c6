"""The names of the files in the engine's media directory, by owner, and the start-up sweep.

v1 and v2 tasks share ``<data_dir>/media/``. Each task family names its files with its
own suffixes and, at start, sweeps only those: a v1 sweep that matched any ``.download``
once removed a v2 task's finished download, which was then fetched again (issue #20).
A download in progress is ``<name>.part`` (see :mod:`.downloads`); a part is never
resumed, so every part of an owned name is swept.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from pathlib import Path

from .downloads import PART_SUFFIX
from .settings import discard

log = logging.getLogger(__name__)

V1_UPLOAD = ".upload"
"""A v1 create form's video: ``<task_id>.upload``."""
V1_DOWNLOAD = ".download"
"""A v1 ``video_url`` task's video: ``<task_id>.download``."""
V1_SYNC_PREFIX = "embed-"
"""The v1 sync ``/embed`` request's files: ``embed-<random>-<field>``."""
V2_SOURCE = ".source"
"""A v2 source written by the engine: ``<task_id>.source`` or ``sync-<random>-<i>.source``."""
V2_DOWNLOAD = ".v2-download"
"""A v2 ``url`` task's video: ``<task_id>.v2-download``."""

V1_SUFFIXES = (V1_UPLOAD, V1_DOWNLOAD)
V2_SUFFIXES = (V2_SOURCE, V2_DOWNLOAD)


def v1_upload(media_dir: Path, task_id: str) -> Path:
    return media_dir / f"{task_id}{V1_UPLOAD}"


def v1_download(media_dir: Path, task_id: str) -> Path:
    return media_dir / f"{task_id}{V1_DOWNLOAD}"


def v2_source(media_dir: Path, stem: str) -> Path:
    return media_dir / f"{stem}{V2_SOURCE}"


def v2_download(media_dir: Path, task_id: str) -> Path:
    return media_dir / f"{task_id}{V2_DOWNLOAD}"


def needed(
    suffixes: Collection[str], ids: Iterable[str], media_paths: Iterable[str | None]
) -> set[str]:
    """The file names unfinished tasks (``ids``, and the ``media_path`` each stored)
    still need, for :func:`sweep`."""
    names = {f"{task_id}{suffix}" for task_id in ids for suffix in suffixes}
    names.update(Path(p).name for p in media_paths if p)
    return names


def is_orphan(
    name: str, suffixes: Collection[str], keep: Collection[str], prefixes: Collection[str]
) -> bool:
    """Whether a family owning ``suffixes`` and ``prefixes`` may remove the file ``name``
    at start: a cut-off download of one of its names, one of its files that no
    unfinished task needs (``keep``, see :func:`needed`), or a sync request's leftover."""
    for suffix in suffixes:
        if name.endswith(suffix + PART_SUFFIX):
            return True
        if name.endswith(suffix):
            return name not in keep
    return any(name.startswith(p) for p in prefixes)


def sweep(
    media_dir: Path,
    family: str,
    suffixes: Collection[str],
    keep: Collection[str],
    prefixes: Collection[str] = (),
) -> int:
    """Remove ``family``'s orphans (see :func:`is_orphan`) from ``media_dir``; one engine
    owns a data dir, so nothing else writes there while it starts. Returns the count."""
    if not media_dir.is_dir():
        return 0
    orphans = [p for p in media_dir.iterdir() if is_orphan(p.name, suffixes, keep, prefixes)]
    for p in orphans:
        discard(p)
    if orphans:
        log.info("%s: removed %d orphaned media file(s)", family, len(orphans))
    return len(orphans)
