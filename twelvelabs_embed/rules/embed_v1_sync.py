"""Rules of the v1 sync endpoint ``POST /embed`` (multipart: text, image, audio).

Errors use the v1 flat shape ``{"code", "message"}``. Models and vector sizes are the v1
ones from :mod:`twelvelabs_embed.video_rules`.
"""

from __future__ import annotations

import math

import attrs

from ..video_rules import MODELS, Violation, check_model_name, check_video_url
from .embed_v2_limits import count_tokens

MAX_TEXT_TOKENS: dict[str, int] = {"marengo3.0": 500, "Marengo-retrieval-2.7": 77}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""The v1 ``/embed`` image limit (the SDK 1.3.1 docstring's 5 MB)."""
MAX_AUDIO_BYTES = 36 * 1024 * 1024
MAX_AUDIO_SEC = 600.0
AUDIO_CLIP_SEC = 10.0
"""Audio is embedded in 10 s segments from ``audio_start_offset_sec``."""


@attrs.frozen
class SyncEmbedParams:
    """The ``/embed`` form parsed to Python values (``None`` = not given)."""

    model_name: str | None
    text: str | None = None
    image_url: str | None = None
    has_image_file: bool = False
    audio_url: str | None = None
    has_audio_file: bool = False
    audio_start_offset_sec: float | None = None


def _invalid(parameter: str, why: str) -> Violation:
    return Violation(
        "parameter_invalid", f"The `{parameter}` parameter is invalid. {why}", parameter
    )


def check_params(p: SyncEmbedParams) -> list[Violation]:
    """Every rule the form alone can break."""
    out = check_model_name(p.model_name)
    if not (p.text or p.image_url or p.has_image_file or p.audio_url or p.has_audio_file):
        out.append(
            Violation(
                "parameter_not_provided",
                "Provide at least one of `text`, `image_url`/`image_file` or "
                "`audio_url`/`audio_file`.",
                "text",
            )
        )
    if p.text is not None and p.model_name in MODELS:
        limit = MAX_TEXT_TOKENS[p.model_name]
        if not p.text.strip():
            out.append(_invalid("text", "`text` must not be empty."))
        elif count_tokens(p.text) > limit:
            out.append(_invalid("text", f"The text is longer than {limit} tokens."))
    for name, url in (("image_url", p.image_url), ("audio_url", p.audio_url)):
        if url:
            out += [
                _invalid(name, v.message.split(". ", 1)[-1].replace("video_url", name))
                for v in check_video_url(url)
            ]
    offset = p.audio_start_offset_sec
    if offset is not None and (not math.isfinite(offset) or offset < 0):
        out.append(_invalid("audio_start_offset_sec", "It must be 0 or more."))
    return out


def check_file_size(name: str, size: int) -> list[Violation]:
    limit = MAX_IMAGE_BYTES if name.startswith("image") else MAX_AUDIO_BYTES
    if size > limit:
        return [_invalid(name, f"The file is {size} bytes; the limit is {limit} bytes.")]
    if size == 0:
        return [_invalid(name, "The file is empty.")]
    return []


def audio_segments(
    duration: float, start: float | None = None, clip: float = AUDIO_CLIP_SEC
) -> list[tuple[float, float]]:
    """Consecutive ``clip``-second windows from ``start`` to the end (the last may be shorter)."""
    lo = max(0.0, start or 0.0)
    hi = min(duration, lo + MAX_AUDIO_SEC)
    out: list[tuple[float, float]] = []
    t = lo
    while t < hi - 1e-9:
        out.append((round(t, 6), round(min(t + clip, hi), 6)))
        t += clip
    return out
