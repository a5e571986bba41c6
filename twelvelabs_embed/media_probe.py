"""What a media file is, read with PyAV: the facts that :mod:`video_rules` judges.

Shared by the SDK's preflight (when PyAV is installed) and the local engine. Importing
this module does not import PyAV; :func:`probe_video` does, and raises
:class:`ProbeUnavailable` when it is missing so callers can skip the probe.
"""

from __future__ import annotations

import os
from typing import Any

from .errors import ProbeFailed, ProbeUnavailable
from .video_rules import VideoFacts

__all__ = ["ProbeFailed", "ProbeUnavailable", "probe_video"]


def _stream_duration(stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


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
        container = av.open(os.fspath(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise ProbeFailed(f"The file cannot be opened as media ({_reason(exc)}).") from exc
    with container:
        video = next(iter(container.streams.video), None)
        has_audio = bool(container.streams.audio)
        duration: float | None = None
        if container.duration is not None:
            duration = container.duration / 1_000_000
        if video is None:
            return VideoFacts(None, None, duration, has_video=False, has_audio=has_audio)
        vdur = _stream_duration(video)
        if vdur is not None and vdur > 0:
            duration = vdur if duration is None else min(duration, vdur) if duration > 0 else vdur
        ctx = video.codec_context
        if ctx is None:  # a stream FFmpeg has no decoder for (e.g. a corrupt codec id)
            raise ProbeFailed("The video stream's codec is unknown.")
        width = ctx.width or None
        height = ctx.height or None
        if decode_check:
            try:
                frame = next(container.decode(video), None)
            except (av.FFmpegError, ValueError, IndexError) as exc:
                raise ProbeFailed(f"No video frame decodes ({_reason(exc)}).") from exc
            if frame is None:
                raise ProbeFailed("The video stream holds no decodable frame.")
            width, height = frame.width or width, frame.height or height
            rotation = getattr(frame, "rotation", 0) or 0
            if rotation % 180 and width and height:
                width, height = height, width
        return VideoFacts(width, height, duration, has_video=True, has_audio=has_audio)


def _reason(exc: BaseException) -> str:
    """FFmpeg's words without its error number or the file's path (which may be the
    engine's own upload path): ``Invalid data found when processing input``."""
    text = getattr(exc, "strerror", None)
    if isinstance(text, str) and text:
        return text
    return type(exc).__name__
