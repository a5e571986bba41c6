"""What a media file is, read with PyAV: the facts that :mod:`video_rules` judges.

Shared by the SDK's preflight (when PyAV is installed) and the local engine. Importing
this module does not import PyAV; :func:`probe_video` does, and raises
:class:`ProbeUnavailable` when it is missing so callers can skip the probe.
"""

from __future__ import annotations

import os
from typing import Any

from .errors import DecodeRefused, ProbeFailed, ProbeUnavailable
from .rules import decode_limits as D
from .video_rules import VideoFacts, Violation

__all__ = ["DecodeRefused", "ProbeFailed", "ProbeUnavailable", "probe_video"]

OPEN_OPTIONS = {
    "probesize": str(D.PROBE_SIZE_BYTES),
    "analyzeduration": str(D.PROBE_ANALYZE_USEC),
}
"""Format options for every ``av.open`` of an input: stream analysis stays bounded."""
DECODER_OPTIONS = {"max_pixels": str(D.MAX_PICTURE_PIXELS)}
"""Codec options for every decoder: a bigger picture is refused before it is allocated."""


def refuse(violation: Violation) -> DecodeRefused:
    return DecodeRefused(violation.code, violation.message)


def _stream_duration(stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def declared_duration(container: Any, video: Any) -> float | None:
    """The duration the file declares: the container's, or the video stream's when that
    is shorter (seconds; ``None`` when neither says)."""
    duration: float | None = None
    if container.duration is not None:
        duration = container.duration / 1_000_000
    vdur = _stream_duration(video) if video is not None else None
    if vdur is not None and vdur > 0:
        duration = vdur if duration is None else min(duration, vdur) if duration > 0 else vdur
    return duration


def probe_video(path: str | os.PathLike[str], *, decode_check: bool = True) -> VideoFacts:
    """Open ``path``, read its streams and, by default, decode one video frame.

    Decoding one frame is what tells a file whose header parses but whose video does not
    (truncated or corrupt bytes) from a playable one; it costs a few milliseconds.

    Raises:
        ProbeUnavailable: PyAV is not installed.
        ProbeFailed: the container cannot be opened, or no frame decodes.
    """
    try:
        import av
    except ImportError as exc:  # pragma: no cover - exercised without the extra
        raise ProbeUnavailable("PyAV is not installed; install twelvelabs-embed[local]") from exc

    try:
        container = av.open(os.fspath(path), metadata_errors="ignore", options=OPEN_OPTIONS)
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise ProbeFailed(f"The file cannot be opened as media ({_reason(exc)}).") from exc
    with container:
        video = next(iter(container.streams.video), None)
        has_audio = bool(container.streams.audio)
        duration = declared_duration(container, video)
        if video is None:
            return VideoFacts(None, None, duration, has_video=False, has_audio=has_audio)
        ctx = video.codec_context
        if ctx is None:  # a stream FFmpeg has no decoder for (e.g. a corrupt codec id)
            raise ProbeFailed("The video stream's codec is unknown.")
        width = ctx.width or None
        height = ctx.height or None
        if decode_check:
            ctx.options = DECODER_OPTIONS
            try:
                frame = _first_frame(container, video)
            except DecodeRefused:
                raise
            except av.ArgumentError as exc:  # max_pixels (or a corrupt picture)
                raise refuse(D.picture_refused()) from exc
            except (av.FFmpegError, ValueError, IndexError) as exc:
                raise ProbeFailed(f"No video frame decodes ({_reason(exc)}).") from exc
            if frame is None:
                raise ProbeFailed("The video stream holds no decodable frame.")
            width, height = frame.width or width, frame.height or height
            rotation = getattr(frame, "rotation", 0) or 0
            if rotation % 180 and width and height:
                width, height = height, width
        return VideoFacts(width, height, duration, has_video=True, has_audio=has_audio)


def _first_frame(container: Any, video: Any) -> Any:
    """The first decoded frame, reading at most ``PROBE_PACKETS`` packets: a stream
    without a keyframe would otherwise be read to its end while nothing decodes."""
    for count, packet in enumerate(container.demux(video), 1):
        if count > D.PROBE_PACKETS:
            raise refuse(D.no_frame_in_probe())
        for frame in packet.decode():
            return frame
    return None


def _reason(exc: BaseException) -> str:
    """FFmpeg's words without its error number or the file's path (which may be the
    engine's own upload path): ``Invalid data found when processing input``."""
    text = getattr(exc, "strerror", None)
    if isinstance(text, str) and text:
        return text
    return type(exc).__name__
