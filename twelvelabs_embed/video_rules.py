"""The platform's limits and parameter rules for video embedding tasks, in one place.

Pure functions that return :class:`Violation` lists instead of raising, so the SDK's
preflight (which turns them into typed exceptions before any byte is uploaded) and the
local engine (which turns them into ``400 {code, message}`` bodies or a ``failed`` task)
enforce exactly the same rules with exactly the same messages. This module does no I/O
and imports nothing else from the package.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import attrs

# --- limits -------------------------------------------------------------------------

MIN_SIDE = 360
"""Both sides must be at least this many pixels."""
MAX_LONG_SIDE = 3840
MAX_SHORT_SIDE = 2160
"""The largest frame is 3840x2160 (landscape) or 2160x3840 (portrait)."""
MAX_ASPECT_RATIO = 2.4
"""Width/height must lie within [1/2.4, 2.4]."""
MIN_DURATION_SEC = 4.0
MAX_DURATION_SEC = 7200.0
MAX_FILE_SIZE_BYTES = 2 * 1024**3
"""2 GB, counted as 2 GiB: the largest file ``POST /embed/tasks`` accepts."""
MIN_CLIP_LENGTH_SEC = 2.0
MAX_CLIP_LENGTH_SEC = 10.0
DEFAULT_CLIP_LENGTH_SEC = 6.0
MIN_LAST_CLIP_SEC = 2.0
"""A trailing clip shorter than this is dropped."""
SCOPES: tuple[str, ...] = ("clip", "video")
DEFAULT_SCOPES: tuple[str, ...] = ("clip",)
TASK_STATUSES: tuple[str, ...] = ("processing", "ready", "failed")
TERMINAL_STATUSES: frozenset[str] = frozenset({"ready", "failed"})
MAX_PAGE_LIMIT = 50
DEFAULT_PAGE_LIMIT = 10
MAX_PAGE = 2**31 - 1
"""Larger page numbers are refused: the answer echoes the number, and JSON integers
beyond 64 bits cannot be written (a fuzzed ``page=10**20`` was a 500)."""
RETENTION_DAYS = 7


@attrs.frozen
class ModelSpec:
    """What a model produces: vector size and the embedding options it can serve."""

    name: str
    dimension: int
    embedding_options: tuple[str, ...]
    unsupported_options: tuple[str, ...] = ()
    """Options the platform knows for this model but that no engine here can produce."""


MODELS: dict[str, ModelSpec] = {
    "marengo3.0": ModelSpec("marengo3.0", 512, ("visual", "audio"), ("transcription",)),
    "Marengo-retrieval-2.7": ModelSpec("Marengo-retrieval-2.7", 1024, ("visual-text", "audio")),
}
DEFAULT_MODEL = "marengo3.0"
ALL_EMBEDDING_OPTIONS: tuple[str, ...] = ("visual", "audio", "transcription", "visual-text")


@attrs.frozen
class Violation:
    """One broken rule, in the platform's words.

    ``code`` is the platform error code (``parameter_invalid``, ``video_duration_too_short``,
    ...); ``status`` the HTTP status the platform answers with.
    """

    code: str
    message: str
    parameter: str | None = None
    status: int = 400


@attrs.frozen
class CreateParams:
    """The create form, already parsed to Python values (``None`` = not given)."""

    model_name: str | None
    video_url: str | None = None
    has_file: bool = False
    video_start_offset_sec: float | None = None
    video_end_offset_sec: float | None = None
    video_clip_length: float | None = None
    video_embedding_scope: tuple[str, ...] | None = None


@attrs.frozen
class VideoFacts:
    """What a probe learned about a media file (display size, after rotation)."""

    width: int | None
    height: int | None
    duration: float | None
    has_video: bool = True
    has_audio: bool = False


def combine(violations: Sequence[Violation]) -> Violation:
    """Several broken rules as one refusal: the first one's code and status, every message.

    The platform answers one request with one error; this is how the client's preflight
    and the engine word a request that breaks several rules at once.
    """
    first = violations[0]
    if len(violations) == 1:
        return first
    message = " ".join(v.message for v in violations)
    return Violation(first.code, message, first.parameter, first.status)


# --- messages -----------------------------------------------------------------------


def _invalid(parameter: str, why: str) -> Violation:
    return Violation(
        "parameter_invalid", f"The `{parameter}` parameter is invalid. {why}", parameter
    )


def _missing(parameter: str) -> Violation:
    return Violation(
        "parameter_not_provided",
        f"The `{parameter}` parameter is required but was not provided.",
        parameter,
    )


def _fmt(x: float) -> str:
    return f"{x:g}"


# --- create parameters --------------------------------------------------------------


def check_model_name(model_name: str | None) -> list[Violation]:
    if model_name is None or model_name == "":
        return [_missing("model_name")]
    if model_name not in MODELS:
        known = ", ".join(MODELS)
        return [
            _invalid("model_name", f"`{model_name}` is not a supported model; use one of: {known}.")
        ]
    return []


URL_SCHEMES = ("http", "https")
"""The only URLs the platform downloads."""
_URL_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def url_scheme(text: str) -> str | None:
    """The scheme of ``text`` when it is written as a URL (``scheme://...``), else ``None``."""
    found = _URL_PREFIX.match(text)
    return found.group(1) if found else None


def unsupported_url(text: str) -> str | None:
    """Why ``text`` cannot be embedded as a URL, or ``None``: ``ftp://host/a.mp4`` is a
    URL the platform cannot fetch, not a file name. The CLI's argument check and the
    bulk jobs' per-input check both say this."""
    scheme = url_scheme(text)
    if scheme is None or scheme.lower() in URL_SCHEMES:
        return None
    return f"only http(s) URLs can be embedded, not {scheme}://"


def check_video_url(url: str) -> list[Violation]:
    """Only absolute http(s) URLs with a host; the engine adds its own address policy."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [_invalid("video_url", "`video_url` must be an http(s) URL.")]
    if parts.scheme.lower() not in URL_SCHEMES or not parts.hostname:
        return [_invalid("video_url", "`video_url` must be an http(s) URL with a host.")]
    return []


def _finite(x: float) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def check_create_params(p: CreateParams) -> list[Violation]:
    """Every rule that can be checked from the form alone, before the video is read."""
    out = check_model_name(p.model_name)
    if p.video_url:
        out += check_video_url(p.video_url)
    elif not p.has_file:
        out.append(
            Violation(
                "parameter_not_provided",
                "Either the `video_file` or the `video_url` parameter is required but neither was provided.",
                "video_file",
            )
        )
    clip = p.video_clip_length
    if clip is not None and (
        not _finite(clip) or not MIN_CLIP_LENGTH_SEC <= clip <= MAX_CLIP_LENGTH_SEC
    ):
        out.append(
            _invalid("video_clip_length", "`video_clip_length` should be within 2-10 seconds long")
        )
    start, end = p.video_start_offset_sec, p.video_end_offset_sec
    if (start is None) != (end is None):
        given = "video_start_offset_sec" if start is not None else "video_end_offset_sec"
        other = "video_end_offset_sec" if start is not None else "video_start_offset_sec"
        out.append(_invalid(other, f"`{given}` and `{other}` must be given together."))
    if start is not None and (not _finite(start) or start < 0):
        out.append(
            _invalid("video_start_offset_sec", "`video_start_offset_sec` must be 0 or more.")
        )
    if end is not None and not _finite(end):
        out.append(_invalid("video_end_offset_sec", "`video_end_offset_sec` must be a number."))
    if start is not None and end is not None and _finite(start) and _finite(end):
        if end <= start:
            out.append(
                _invalid(
                    "video_end_offset_sec",
                    "`video_end_offset_sec` should be greater than `video_start_offset_sec`",
                )
            )
        elif clip is not None and _finite(clip) and clip > end - start:
            out.append(
                _invalid(
                    "video_clip_length",
                    "`video_clip_length` should not be longer than "
                    "`video_end_offset_sec` - `video_start_offset_sec`.",
                )
            )
    out += check_scopes(p.video_embedding_scope)
    return out


def check_scopes(scopes: Sequence[str] | None) -> list[Violation]:
    if scopes is None:
        return []
    if not scopes:
        return [_invalid("video_embedding_scope", "Use `clip`, or `clip` and `video`.")]
    bad = [s for s in scopes if s not in SCOPES]
    if bad:
        return [
            _invalid(
                "video_embedding_scope",
                f"Unknown scope {', '.join(repr(b) for b in bad)}; use `clip`, or `clip` and `video`.",
            )
        ]
    return []


def normalise_scopes(scopes: Sequence[str] | None) -> tuple[str, ...]:
    """Scope list as the platform echoes it: deduplicated, ``clip`` before ``video``."""
    if not scopes:
        return DEFAULT_SCOPES
    return tuple(s for s in SCOPES if s in scopes)


def check_embedding_options(model_name: str, options: Sequence[str] | None) -> list[Violation]:
    """Retrieve filter: every option must be one the model serves."""
    spec = MODELS.get(model_name)
    if spec is None or not options:
        return []
    bad = [o for o in options if o not in spec.embedding_options]
    if not bad:
        return []
    served = ", ".join(spec.embedding_options)
    return [
        _invalid(
            "embedding_option",
            f"`{model_name}` does not serve {', '.join(repr(b) for b in bad)}; use: {served}.",
        )
    ]


# --- file and media facts -----------------------------------------------------------


def _fmt_size(n: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"


def check_file_size(
    size: int, max_size: int = MAX_FILE_SIZE_BYTES, *, lower_bound: bool = False
) -> list[Violation]:
    """Size rule; ``max_size`` lets an engine use a smaller limit than the platform's.

    ``lower_bound=True`` when ``size`` is only how far a stream got before it was cut off.
    """
    if size > max_size:
        current = f"more than {max_size} bytes" if lower_bound else f"{size} bytes"
        return [
            Violation(
                "video_filesize_too_large",
                "The video is too large. Please use a video file that is less than "
                f"{max_size} bytes ({_fmt_size(max_size)}). The current size is {current}.",
                "video_file",
            )
        ]
    if size == 0:
        return [file_broken("The file is empty.")]
    return []


def file_broken(detail: str = "") -> Violation:
    msg = "Cannot read video file. Please check the video file is valid and try again."
    return Violation("video_file_broken", f"{msg} {detail}".strip(), "video_file")


def check_video_facts(facts: VideoFacts) -> list[Violation]:
    """Resolution, aspect ratio and duration, with the platform's codes and messages."""
    if not facts.has_video or not facts.width or not facts.height:
        return [file_broken("No video stream was found.")]
    out: list[Violation] = []
    w, h = facts.width, facts.height
    res = f"{w}x{h}"
    long_side, short_side = max(w, h), min(w, h)
    range_text = f"between {MIN_SIDE}x{MIN_SIDE} and {MAX_LONG_SIDE}x{MAX_SHORT_SIDE}"
    if short_side < MIN_SIDE:
        out.append(
            Violation(
                "video_resolution_too_low",
                f"The resolution of the video is too low. Please upload a video with resolution "
                f"{range_text}. Current resolution is {res}.",
                "video_file",
            )
        )
    elif long_side > MAX_LONG_SIDE or short_side > MAX_SHORT_SIDE:
        out.append(
            Violation(
                "video_resolution_too_high",
                f"The resolution of the video is too high. Please upload a video with resolution "
                f"{range_text}. Current resolution is {res}.",
                "video_file",
            )
        )
    if long_side / short_side > MAX_ASPECT_RATIO + 1e-9:
        out.append(
            Violation(
                "video_resolution_invalid_aspect_ratio",
                "The aspect ratio of the video is invalid. Please upload a video with aspect ratio "
                f"between 1:{MAX_ASPECT_RATIO} and {MAX_ASPECT_RATIO}:1. Current resolution is {res}.",
                "video_file",
            )
        )
    if facts.duration is None or not math.isfinite(facts.duration):
        out.append(file_broken("The duration of the video cannot be read."))
    elif facts.duration < MIN_DURATION_SEC:
        out.append(
            Violation(
                "video_duration_too_short",
                f"The video is too short. Please use a video with duration between "
                f"{_fmt(MIN_DURATION_SEC)} seconds and 2 hours. "
                f"Current duration is {_fmt(round(facts.duration, 3))} seconds.",
                "video_file",
            )
        )
    elif facts.duration > MAX_DURATION_SEC:
        out.append(
            Violation(
                "video_duration_too_long",
                f"The video is too long. Please use a video with duration between "
                f"{_fmt(MIN_DURATION_SEC)} seconds and 2 hours. "
                f"Current duration is {_fmt(round(facts.duration, 3))} seconds.",
                "video_file",
            )
        )
    return out


def check_offsets_against_duration(p: CreateParams, duration: float) -> list[Violation]:
    """Offsets must fall inside the video once its duration is known."""
    start, end = p.video_start_offset_sec, p.video_end_offset_sec
    if start is None or end is None:
        return []
    clip = p.video_clip_length if p.video_clip_length is not None else DEFAULT_CLIP_LENGTH_SEC
    out = []
    if end > duration + 1e-6:
        out.append(
            _invalid(
                "video_end_offset_sec",
                f"`video_end_offset_sec` should not exceed the video duration ({_fmt(round(duration, 3))} s).",
            )
        )
    if start > duration - clip + 1e-6:
        out.append(
            _invalid(
                "video_start_offset_sec",
                "`video_start_offset_sec` should not exceed the video duration minus "
                f"`video_clip_length` ({_fmt(round(max(duration - clip, 0.0), 3))} s).",
            )
        )
    return out


def check_media(p: CreateParams, facts: VideoFacts) -> list[Violation]:
    """Every rule that needs the probed facts: size, aspect ratio, duration, offsets."""
    found = check_video_facts(facts)
    if not found and facts.duration is not None:
        found = check_offsets_against_duration(p, facts.duration)
    return found


# --- clip planning ------------------------------------------------------------------


def plan_clips(
    duration: float,
    start: float | None = None,
    end: float | None = None,
    clip_length: float | None = None,
) -> list[tuple[float, float]]:
    """The clip grid: ``clip_length`` steps from start to end, a last clip under 2 s dropped.

    A range shorter than the clip length (a 4-6 s video at the default 6 s) is one clip
    covering it, so every video the platform accepts yields at least one clip.
    """
    lo = 0.0 if start is None else max(0.0, start)
    hi = duration if end is None else min(end, duration)
    step = DEFAULT_CLIP_LENGTH_SEC if clip_length is None else clip_length
    if hi <= lo:
        return []
    if hi - lo <= step:
        return [(round(lo, 6), round(hi, 6))]
    clips: list[tuple[float, float]] = []
    t = lo
    while t < hi - 1e-9:
        e = min(t + step, hi)
        if e - t < MIN_LAST_CLIP_SEC and clips:
            break
        clips.append((round(t, 6), round(e, 6)))
        t += step
    return clips


# --- list parameters ----------------------------------------------------------------


def check_list_params(
    page: int | None, page_limit: int | None, status: str | None
) -> list[Violation]:
    out = []
    if page is not None and page < 1:
        out.append(_invalid("page", "`page` must be 1 or more."))
    elif page is not None and page > MAX_PAGE:
        out.append(_invalid("page", f"`page` must be at most {MAX_PAGE}."))
    if page_limit is not None and not 1 <= page_limit <= MAX_PAGE_LIMIT:
        out.append(_invalid("page_limit", f"`page_limit` must be within 1-{MAX_PAGE_LIMIT}."))
    if status is not None and status not in TASK_STATUSES:
        out.append(_invalid("status", f"`status` must be one of: {', '.join(TASK_STATUSES)}."))
    return out


def list_window(
    started_ms: int | None, ended_ms: int | None, now_ms: int
) -> tuple[int | None, int | None]:
    """The ``created_at`` range a list covers: without either bound, the last
    ``RETENTION_DAYS`` days (the platform's default); otherwise what was asked."""
    if started_ms is None and ended_ms is None:
        return now_ms - RETENTION_DAYS * 86_400_000, None
    return started_ms, ended_ms


def check_task_id(task_id: str) -> list[Violation]:
    """Task ids are 24 hex characters; anything else is refused before a lookup."""
    if len(task_id) == 24 and all(c in "0123456789abcdef" for c in task_id):
        return []
    return [_invalid("task_id", "`task_id` value is invalid")]
