"""Embed API v2 limits and the checks that need the media itself (size, duration, pixels).

Numbers come from the official SDK 1.3.6 docstrings and the OpenAPI document (see
``embed-v2-facts.md``); where sources disagree the SDK 1.3.6 value is used. Pure: the
engine and the SDK's preflight pass in what they measured.
"""

from __future__ import annotations

import math
import re

import attrs

from ..video_rules import VideoFacts, Violation

MODELS_V2: tuple[str, ...] = ("marengo3.0", "marengo3.5")
DEFAULT_MODEL_V2 = "marengo3.0"
FULL_DIMENSION = 512
DIMENSIONS_V35: tuple[int, ...] = (128, 256, 512)
"""Marengo 3.5's ``embedding_dimension`` values: Matryoshka prefixes of the 512-d vector."""

SYNC_INPUT_TYPES: dict[str, tuple[str, ...]] = {
    "marengo3.0": ("text", "image", "text_image", "audio", "video", "multi_input"),
    "marengo3.5": ("multi_input",),
}
ASYNC_INPUT_TYPES: dict[str, tuple[str, ...]] = {
    "marengo3.0": ("audio", "video"),
    "marengo3.5": ("audio", "video", "document", "image"),
}
VIDEO_OPTIONS: dict[str, tuple[str, ...]] = {
    "marengo3.0": ("visual", "audio", "transcription"),
    "marengo3.5": ("visual", "audio"),
}
AUDIO_OPTIONS: dict[str, tuple[str, ...]] = {
    "marengo3.0": ("audio", "transcription"),
    "marengo3.5": ("audio",),
}
EMBEDDING_TYPES: tuple[str, ...] = ("separate_embedding", "fused_embedding")
SYNC_SCOPES: tuple[str, ...] = ("clip", "asset")
ASYNC_SCOPES: tuple[str, ...] = ("clip", "local", "asset")
DEFAULT_SCOPES: tuple[str, ...] = ("clip", "asset")

MAX_TEXT_TOKENS: dict[str, int] = {"marengo3.0": 500, "marengo3.5": 2000}
MAX_MULTI_SOURCES = 10
MULTI_MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    "marengo3.0": ("image",),
    "marengo3.5": ("image", "video", "audio", "document"),
}

FIXED_SEC = (2, 10)
"""``fixed.duration_sec`` bounds (whole seconds)."""
DYNAMIC_MIN_SEC = (2, 5)
"""``dynamic.min_duration_sec`` bounds (whole seconds)."""
DEFAULT_FIXED_SEC = 6
DEFAULT_DYNAMIC_MIN_SEC = {"marengo3.0": 4, "marengo3.5": 2}

MB = 1024 * 1024
MAX_BASE64_DECODED_BYTES = 36 * MB
"""Audio and video sent as ``base64_string`` (sync on 3.0, and tasks)."""
MAX_IMAGE_BYTES = 32 * MB
MAX_SYNC_SOURCE_BYTES_V35 = 32 * MB
MAX_ASYNC_MEDIA_BYTES = 4 * 1024 * MB
MAX_DOCUMENT_BYTES = 512 * MB

MIN_IMAGE_SIDE = 128
MIN_VIDEO_SIDE = 360
MAX_VIDEO_LONG_SIDE = 5184
MAX_VIDEO_SHORT_SIDE = 2160
MAX_ASPECT_RATIO = 2.4

SYNC_MAX_DURATION_SEC: dict[str, float] = {"marengo3.0": 600.0, "marengo3.5": 30.0}
ASYNC_MIN_DURATION_SEC = 4.0
ASYNC_MAX_DURATION_SEC = 4 * 3600.0

TASK_FAILED_MEDIA = (
    "We could not process your media for embedding. Please verify the input file and try again."
)
TASK_FAILED_FETCH = "failed to fetch or materialize source media"
TASK_FAILED_SIZE = "The media exceeds the maximum allowed size for embedding."


@attrs.frozen
class ImageFacts:
    """What decoding an image learned: its size in pixels."""

    width: int
    height: int


_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """Words and punctuation marks: an approximation of the model's tokenizer, which
    this package does not have; it under-counts long rare words, never short text."""
    return len(_TOKEN.findall(text))


def truncate_tokens(text: str, limit: int) -> str:
    """``text`` cut after its ``limit``-th token (see :func:`count_tokens`)."""
    for i, m in enumerate(_TOKEN.finditer(text)):
        if i == limit:
            return text[: m.start()].rstrip()
    return text


def base64_decoded_size(text: str) -> int:
    """Bytes a base64 string decodes to, from its length (no decoding)."""
    n = len(text.rstrip("="))
    return n * 3 // 4


def _fmt(x: float) -> str:
    return f"{x:g}"


def too_large(what: str, size: int, limit: int) -> Violation:
    """413: the platform measured the content and it is over the allowance."""
    return Violation(
        "content_too_large",
        f"The {what} is too large: {size} bytes, more than the {limit // MB} MB allowed.",
        what,
        status=413,
    )


def max_media_bytes(kind: str, model: str, mode: str, *, base64: bool) -> int:
    """The size allowance for one media source of ``kind`` (image, video, audio, document)."""
    if kind == "image":
        return MAX_IMAGE_BYTES
    if kind == "document":
        return MAX_DOCUMENT_BYTES
    if mode == "sync" and model == "marengo3.5":
        return MAX_SYNC_SOURCE_BYTES_V35
    if base64 or mode == "sync":
        return MAX_BASE64_DECODED_BYTES
    return MAX_ASYNC_MEDIA_BYTES


def check_media_size(
    kind: str, model: str, mode: str, size: int, *, base64: bool
) -> list[Violation]:
    limit = max_media_bytes(kind, model, mode, base64=base64)
    if size > limit:
        return [too_large(f"{kind} file", size, limit)]
    if size == 0:
        return [Violation("parameter_invalid", f"The {kind} file is empty.", "media_source")]
    return []


def check_image_facts(facts: ImageFacts) -> list[Violation]:
    if min(facts.width, facts.height) < MIN_IMAGE_SIDE:
        return [
            Violation(
                "parameter_invalid",
                f"The image is too small: {facts.width}x{facts.height}. Both sides must be at "
                f"least {MIN_IMAGE_SIDE} pixels.",
                "media_source",
            )
        ]
    return []


def check_av_facts(kind: str, model: str, mode: str, facts: VideoFacts) -> list[Violation]:
    """Duration (and for video the frame size) of an audio or video source."""
    out: list[Violation] = []
    if kind == "video":
        if not facts.has_video or not facts.width or not facts.height:
            return [
                Violation(
                    "video_file_broken",
                    f"{TASK_FAILED_MEDIA} No video stream was found.",
                    "media_source",
                )
            ]
        out += _check_frame(facts.width, facts.height)
    elif not facts.has_audio:
        return [
            Violation(
                "parameter_invalid",
                f"{TASK_FAILED_MEDIA} No audio stream was found.",
                "media_source",
            )
        ]
    d = facts.duration
    if d is None or not math.isfinite(d):
        return [
            *out,
            Violation(
                "video_file_broken",
                f"{TASK_FAILED_MEDIA} Its duration cannot be read.",
                "media_source",
            ),
        ]
    lo = ASYNC_MIN_DURATION_SEC if mode == "async" else 0.0
    hi = SYNC_MAX_DURATION_SEC[model] if mode == "sync" else ASYNC_MAX_DURATION_SEC
    where = "/embed-v2" if mode == "sync" else "/embed-v2/tasks"
    if d < lo:
        code = "video_duration_too_short" if kind == "video" else "parameter_invalid"
        out.append(
            Violation(
                code,
                f"The {kind} is too short for {where}: {_fmt(round(d, 3))} s, less than {_fmt(lo)} s.",
                "media_source",
            )
        )
    elif d > hi:
        code = "video_duration_too_long" if kind == "video" else "parameter_invalid"
        hint = " Use /embed-v2/tasks for longer media." if mode == "sync" else ""
        out.append(
            Violation(
                code,
                f"The {kind} is too long for {where} with {model}: {_fmt(round(d, 3))} s, more than {_fmt(hi)} s.{hint}",
                "media_source",
            )
        )
    return out


def _check_frame(w: int, h: int) -> list[Violation]:
    res = f"{w}x{h}"
    long_side, short_side = max(w, h), min(w, h)
    span = f"between {MIN_VIDEO_SIDE}x{MIN_VIDEO_SIDE} and {MAX_VIDEO_LONG_SIDE}x{MAX_VIDEO_SHORT_SIDE}"
    out = []
    if short_side < MIN_VIDEO_SIDE:
        out.append(
            Violation(
                "video_resolution_too_low",
                f"The resolution of the video is too low. Use a video with resolution {span}. Current resolution is {res}.",
                "media_source",
            )
        )
    elif long_side > MAX_VIDEO_LONG_SIDE or short_side > MAX_VIDEO_SHORT_SIDE:
        out.append(
            Violation(
                "video_resolution_too_high",
                f"The resolution of the video is too high. Use a video with resolution {span}. Current resolution is {res}.",
                "media_source",
            )
        )
    if long_side / short_side > MAX_ASPECT_RATIO + 1e-9:
        out.append(
            Violation(
                "video_resolution_invalid_aspect_ratio",
                f"The aspect ratio of the video is invalid. Use a video with aspect ratio between 1:{MAX_ASPECT_RATIO} and {MAX_ASPECT_RATIO}:1. Current resolution is {res}.",
                "media_source",
            )
        )
    return out


def check_range_against_duration(
    start: float | None, end: float | None, duration: float
) -> list[Violation]:
    """``start_sec``/``end_sec`` must fall inside the media once its duration is known."""
    if start is not None and start >= duration:
        return [
            Violation(
                "parameter_invalid",
                f"The `start_sec` parameter is invalid. It must be less than the media duration ({_fmt(round(duration, 3))} s).",
                "start_sec",
            )
        ]
    return []
