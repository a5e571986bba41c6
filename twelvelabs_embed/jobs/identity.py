"""What a job's inputs are, and the key that finds each one again in the journal.

An input is a local file or a URL plus the create parameters it is embedded with. Its
key is a hash of ``(kind, absolute path or URL, parameters)``: the same file asked for
with other parameters is another input, and a re-run finds its rows whatever the working
directory. A file's content is pinned separately (size + mtime, then a SHA-256 when those
change), so an edited file is embedded again while a touched or copied-back one is not.

Only regular files are ever read here: ``/dev/zero`` would be hashed for ever and a FIFO
blocks whoever opens it, so a special file (or a link to one) is no stamp and no hash,
and its upload fails for that input alone with "not a regular file".
"""

from __future__ import annotations

import hashlib
import os
import stat as stat_mode
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
import orjson

from .. import video_rules

VIDEO_SUFFIXES = frozenset(
    {
        ".mp4",
        ".mov",
        ".mkv",
        ".webm",
        ".avi",
        ".m4v",
        ".mpg",
        ".mpeg",
        ".ts",
        ".flv",
        ".wmv",
        ".3gp",
    }
)
CREATE_PARAMS = (
    "model_name",
    "video_start_offset_sec",
    "video_end_offset_sec",
    "video_clip_length",
    "video_embedding_scope",
)
"""Per-item create parameters a dict input may set (besides ``video_file``/``video_url``)."""
ITEM_PARAMS = (*CREATE_PARAMS, "embedding_option")
HASH_CHUNK = 1 << 20

InputLike = str | os.PathLike[str] | Mapping[str, Any]


def is_url(text: str) -> bool:
    """Written as a URL (``scheme://...``), whatever the scheme: ``ftp://host/a.mp4`` is
    an input that fails with :func:`~twelvelabs_embed.video_rules.unsupported_url`'s
    reason, never a file name that is "not found"."""
    return video_rules.url_scheme(text) is not None


def check_input(inp: JobInput) -> None:
    """Refuse an input the platform cannot take whatever the file holds (one per-input
    failure, before any upload).

    Raises:
        ValueError: a URL whose scheme is not http(s).
    """
    why = video_rules.unsupported_url(inp.locator) if inp.kind == "url" else None
    if why is not None:
        raise ValueError(why)


def videos_in(folder: str | os.PathLike[str]) -> list[str]:
    """The video files under ``folder`` (by suffix, recursive, sorted). Dangling links,
    pipes and devices count: they are inputs that fail with their own reason, not
    silently skipped (and never opened here)."""
    return sorted(
        str(p)
        for p in Path(folder).rglob("*")
        if p.suffix.lower() in VIDEO_SUFFIXES and (p.is_symlink() or not p.is_dir())
    )


def expand_inputs(inputs: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Directories become the video files inside them; files and URLs pass unchanged."""
    out: list[str] = []
    for item in inputs:
        text = os.fspath(item)
        if not is_url(text) and os.path.isdir(text):
            out.extend(videos_in(text))
        else:
            out.append(text)
    return out


@attrs.frozen
class JobInput:
    """One video to embed. ``source`` is what the caller wrote (it goes into every
    output row); ``locator`` is the absolute path or the URL (it goes into the key)."""

    source: str
    kind: Literal["file", "url"]
    locator: str
    params: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def params_json(self) -> str:
        return orjson.dumps(dict(self.params), option=orjson.OPT_SORT_KEYS).decode()

    @property
    def key(self) -> str:
        text = f"{self.kind}\n{self.locator}\n{self.params_json}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @property
    def model_name(self) -> str:
        return str(self.params["model_name"])

    @property
    def filename(self) -> str | None:
        """The upload's file name, which the platform echoes as ``input_filename``."""
        return os.path.basename(self.locator) if self.kind == "file" else None

    def create_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``tasks.create`` (without ``model_name``)."""
        kwargs = {k: v for k, v in self.params.items() if k in CREATE_PARAMS}
        kwargs.pop("model_name", None)
        kwargs["video_url" if self.kind == "url" else "video_file"] = self.locator
        return kwargs


def _clean(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ITEM_PARAMS:
        value = params.get(name)
        if value is None:
            continue
        if name in ("video_embedding_scope", "embedding_option"):
            value = [value] if isinstance(value, str) else list(value)
        out[name] = value
    return out


def make_inputs(items: Iterable[InputLike], defaults: Mapping[str, Any]) -> list[JobInput]:
    """Turn what the caller passed into inputs, in order, without duplicates.

    A string or path is a URL, a directory (its videos) or a file; a mapping holds
    ``video_file`` or ``video_url`` plus any of :data:`ITEM_PARAMS`, which win over
    ``defaults``. Raises ``ValueError`` for a mapping with neither or an unknown key.
    """
    base = _clean(defaults)
    found: dict[str, JobInput] = {}
    for item in items:
        if isinstance(item, Mapping):
            unknown = set(item) - {*ITEM_PARAMS, "video_file", "video_url"}
            if unknown:
                raise ValueError(f"unknown input keys: {sorted(unknown)}")
            params = base | _clean(item)
            if item.get("video_url"):
                made = [_one(str(item["video_url"]), params, url=True)]
            elif item.get("video_file") is not None:
                made = [_one(os.fspath(item["video_file"]), params, url=False)]
            else:
                raise ValueError("an input mapping needs video_file or video_url")
        else:
            made = [_one(s, base, url=is_url(s)) for s in expand_inputs([item])]
        for inp in made:
            found.setdefault(inp.key, inp)
    return list(found.values())


def _one(source: str, params: Mapping[str, Any], *, url: bool) -> JobInput:
    if url:
        return JobInput(source, "url", source, dict(params))
    return JobInput(source, "file", os.path.abspath(source), dict(params))


@attrs.frozen
class FileStamp:
    """Cheap evidence that a file has not changed: size and modification time."""

    size: int
    mtime_ns: int


def stamp(path: str) -> FileStamp | None:
    """Size and mtime of a regular file; ``None`` when it is missing or not regular."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat_mode.S_ISREG(st.st_mode):
        return None
    return FileStamp(st.st_size, st.st_mtime_ns)


def not_regular(path: str) -> ValueError:
    return ValueError(f"{path} is not a regular file (a pipe or a device cannot be uploaded)")


def content_hash(path: str) -> str:
    """SHA-256 of the file (streamed); run it in a thread, it reads the whole file.

    The file is opened without blocking (a FIFO would wait for a writer) and checked
    once open, so a name swapped for a device in between is caught too.

    Raises:
        OSError: it cannot be opened or read.
        ValueError: it is not a regular file.
    """
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat_mode.S_ISREG(os.fstat(fd).st_mode):
            raise not_regular(path)
        while chunk := f.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
