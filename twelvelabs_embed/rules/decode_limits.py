"""What decoding one file may cost, beyond the platform's own rules; pure, no I/O.

A file's size and declared length say little about what decoding it costs: a few MB of
skip frames can stand for hours of 4K pictures, one JPEG inside a video can be
12000x12000, a stream without a keyframe makes a decoder read everything while it
outputs nothing, and two frames stamped two hours apart declare a two-hour video. These
limits keep the work the engine does for a file in proportion to what the platform
would bill for it (its duration) and to the bytes it sent (issue #20 items 5 and 6):

- no picture larger than :data:`MAX_PICTURE_PIXELS` is ever decoded (the decoder itself
  refuses, before it allocates), and every decoded *video* frame must fit the platform's
  resolution limits, not only the first;
- the pixels decoded for one file stay within :func:`decode_budget`;
- finding the first frame reads at most :data:`PROBE_PACKETS` packets;
- a video needs at least one frame every :data:`MAX_FRAME_GAP_SEC` of its duration.
"""

from __future__ import annotations

import math

from ..video_rules import (
    MAX_LONG_SIDE,
    MAX_SHORT_SIDE,
    VideoFacts,
    Violation,
    check_video_facts,
    file_broken,
)

MAX_PICTURE_PIXELS = 8192 * 8192
"""The largest picture any decoder may produce (images included): a bomb's guard."""
MAX_VIDEO_FRAME_PIXELS = MAX_LONG_SIDE * MAX_SHORT_SIDE
DECODE_PIXELS_PER_SEC = MAX_LONG_SIDE * MAX_SHORT_SIDE * 60
"""Decoding allowed per second of declared duration: every frame of the largest picture
the platform takes, at 60 frames per second."""
DECODE_PIXELS_PER_BYTE = 20_000
"""Decoding allowed per byte of file: far above real footage (about 100-5,000 decoded
pixels per byte when every frame is decoded), far below skip-frame bombs (millions)."""
MIN_DECODE_PIXELS = MAX_LONG_SIDE * MAX_SHORT_SIDE * 300
"""The budget is never smaller than 300 of the largest frames (tiny files stay usable)."""
PROBE_PACKETS = 2_000
"""Packets the probe reads looking for the first frame (real files need one, an open
GOP a few hundred)."""
PROBE_SIZE_BYTES = 5_000_000
PROBE_ANALYZE_USEC = 5_000_000
"""FFmpeg's stream analysis, bounded (FFmpeg's defaults, stated so they cannot drift)."""
MAX_FRAME_GAP_SEC = 10.0
"""A video must hold at least one frame per this many seconds of its duration on average;
fewer frames cannot back the duration (and every clip would repeat the same picture)."""


def decode_budget(duration: float | None, file_size: int) -> int:
    """Pixels one file may have decoded: the smaller of what its duration and its size
    justify, and never less than :data:`MIN_DECODE_PIXELS`."""
    by_size = file_size * DECODE_PIXELS_PER_BYTE
    if duration is None or not math.isfinite(duration) or duration <= 0:
        return max(MIN_DECODE_PIXELS, by_size)
    by_duration = math.ceil(duration * DECODE_PIXELS_PER_SEC)
    return max(MIN_DECODE_PIXELS, min(by_duration, by_size))


def over_budget(budget: int) -> Violation:
    return file_broken(
        "Decoding this video would take far more work than its duration and size justify "
        f"(more than {budget / 1e9:.1f} billion pixels): it is refused as a decoding bomb."
    )


def check_video_frame(width: int, height: int) -> list[Violation]:
    """A decoded video frame against the platform's largest resolution (same code and
    message as the first-frame check; small frames cost nothing and are left alone)."""
    facts = VideoFacts(width, height, MAX_FRAME_GAP_SEC, has_video=True, has_audio=False)
    return [v for v in check_video_facts(facts) if v.code == "video_resolution_too_high"]


def picture_refused() -> Violation:
    """The decoder refused a picture over :data:`MAX_PICTURE_PIXELS` (or a corrupt one:
    FFmpeg says only "invalid argument")."""
    return file_broken(
        "A frame of the video could not be decoded: it is corrupt, or larger than "
        f"{MAX_LONG_SIDE}x{MAX_SHORT_SIDE} pixels."
    )


def no_frame_in_probe() -> Violation:
    return file_broken(f"No video frame decodes in the first {PROBE_PACKETS} packets.")


def check_frames_back_duration(frames: int, duration: float | None) -> list[Violation]:
    """Refuse a duration its frames cannot back (two frames stamped two hours apart)."""
    if duration is None or not math.isfinite(duration):
        return []
    needed = math.floor(duration / MAX_FRAME_GAP_SEC)
    if frames >= needed:
        return []
    return [
        file_broken(
            f"The video's {frames} frame(s) cannot back its duration of {duration:g} s: "
            f"at least one frame every {MAX_FRAME_GAP_SEC:g} s is needed."
        )
    ]
