"""Decoding for the engine: a few small frames per clip, and the audio track as 16 kHz mono.

Full decoding of 1080p H.264 runs at about real time x10 on two cores, too slow for the
engine, so :func:`read_frames` decodes only what the targets need: it reads the keyframe
index by demuxing (no decoding), seeks only when a keyframe lies between the decoder and
the next target, and accepts the first frame within ``tolerance`` of each target, so a
keyframe near a target costs one decoded frame. Frames are scaled to a small square inside
FFmpeg (area averaging), never in NumPy. Every FFmpeg failure becomes
:class:`~twelvelabs_embed.media_probe.ProbeFailed`.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import av
import numpy as np

from ...media_probe import ProbeFailed

AUDIO_RATE = 16_000
_DECODE_ERRORS = (av.FFmpegError, OSError, ValueError, IndexError, RuntimeError, EOFError)


@attrs.frozen
class Frames:
    """Decoded samples: ``images`` (N, size, size, 3) uint8 RGB, ``times`` (N,) seconds.

    ``times`` are the frames' own times relative to the video stream's start, one per
    target in target order (a target past the last frame gets the last frame).
    """

    images: np.ndarray
    times: np.ndarray


def _open(path: str | os.PathLike[str]) -> Any:
    try:
        return av.open(os.fspath(path), metadata_errors="ignore")
    except _DECODE_ERRORS as exc:
        raise ProbeFailed(f"cannot open the file as media: {exc}") from exc


def _start_sec(stream: Any) -> float:
    if stream.start_time is not None and stream.time_base is not None:
        return float(stream.start_time * stream.time_base)
    return 0.0


def _keyframe_times(container: Any, stream: Any) -> list[float]:
    """Keyframe times (absolute seconds, sorted) from packet flags, without decoding."""
    times = []
    for packet in container.demux(stream):
        if packet.is_keyframe and packet.pts is not None:
            times.append(float(packet.pts * stream.time_base))
    times.sort()
    return times


def _seek_point(
    keyframes: list[float], want: float, near: float, tol: float, pos: float
) -> float | None:
    """Where to seek for a frame in [want, near + tol], or None to decode on from ``pos``.

    A keyframe inside the window is the cheapest frame there (nearest to ``near`` wins);
    otherwise the last keyframe before ``want``, if the decoder has not passed it yet.
    """
    lo = bisect.bisect_left(keyframes, want)
    hi = bisect.bisect_right(keyframes, near + tol)
    inside = [k for k in keyframes[lo:hi] if k > pos]
    if inside:
        return min(inside, key=lambda k: abs(k - near))
    if lo > 0 and keyframes[lo - 1] > pos:
        return keyframes[lo - 1]
    return None


def _small(frame: Any, size: int) -> np.ndarray:
    img: np.ndarray = frame.to_ndarray(
        width=size, height=size, format="rgb24", interpolation="AREA"
    )
    rotation = int(getattr(frame, "rotation", 0) or 0)
    if rotation % 360:
        img = np.ascontiguousarray(np.rot90(img, k=(rotation // 90) % 4))
    return img


def read_frames(
    path: str | os.PathLike[str],
    targets: Sequence[float],
    *,
    size: int = 96,
    tolerance: float = 0.5,
    fast: bool = True,
) -> Frames:
    """One small RGB frame per target time (seconds from the start of the video stream).

    Args:
        targets: times in increasing order.
        size: side of the square output; aspect ratio is not kept (crop-robust features
            are computed on a fixed grid).
        tolerance: the first frame at or after ``target - tolerance`` is accepted, which
            lets a nearby keyframe stand in for an exact seek-and-decode.
        fast: skip the deblocking filter, invisible after downscaling and ~25% faster.

    Raises:
        ProbeFailed: no video stream, or decoding fails, or nothing decodes.
    """
    if list(targets) != sorted(targets):
        raise ValueError("targets must be in increasing order")
    container = _open(path)
    try:
        with container:
            return _read(container, targets, size, tolerance, fast)
    except ProbeFailed:
        raise
    except _DECODE_ERRORS as exc:
        raise ProbeFailed(f"decoding failed: {exc}") from exc


def _read(container: Any, targets: Sequence[float], size: int, tol: float, fast: bool) -> Frames:
    if not container.streams.video:
        raise ProbeFailed("no video stream")
    stream = container.streams.video[0]
    t0 = _start_sec(stream)
    keyframes = _keyframe_times(container, stream)
    stream.thread_type = "AUTO"
    if fast:
        stream.codec_context.options = {"skip_loop_filter": "all"}
    images: list[np.ndarray] = []
    times: list[float] = []
    decoder: Iterator[Any] | None = None
    last: Any = None  # the last decoded frame
    for target in targets:
        want, near = t0 + target - tol, t0 + target
        pos = -1.0 if last is None or last.time is None else float(last.time)
        if pos >= want:
            images.append(images[-1])
            times.append(pos - t0)
            continue
        seek_to = _seek_point(keyframes, want, near, tol, pos)
        if decoder is None or seek_to is not None:
            at = seek_to if seek_to is not None else t0
            container.seek(round(at / stream.time_base), stream=stream, backward=True)
            decoder = container.decode(stream)
        found = None
        for frame in decoder:
            last = frame
            if frame.time is None or frame.time >= want:
                found = frame
                break
        if found is None and last is None:
            raise ProbeFailed("the video stream holds no decodable frame")
        frame = found if found is not None else last
        images.append(_small(frame, size))
        times.append(float(frame.time or 0.0) - t0)
    if not images:
        raise ProbeFailed("no frame was requested or decoded")
    return Frames(np.stack(images), np.asarray(times, dtype=np.float64))


def read_audio(
    path: str | os.PathLike[str], start: float, end: float, *, rate: int = AUDIO_RATE
) -> np.ndarray | None:
    """The first audio stream between ``start`` and ``end`` (seconds from the video start)
    as mono float32 at ``rate`` Hz, zero-padded to the full length; ``None`` when the file
    has no audio stream.

    Raises:
        ProbeFailed: decoding fails.
    """
    container = _open(path)
    try:
        with container:
            if not container.streams.audio:
                return None
            t0 = _start_sec(container.streams.video[0]) if container.streams.video else 0.0
            return _read_audio(container, t0 + start, t0 + end, rate)
    except _DECODE_ERRORS as exc:
        raise ProbeFailed(f"audio decoding failed: {exc}") from exc


def _read_audio(container: Any, start: float, end: float, rate: int) -> np.ndarray:
    stream = container.streams.audio[0]
    out = np.zeros(max(0, round((end - start) * rate)), dtype=np.float32)
    if start > 0.5:
        container.seek(round((start - 0.5) / stream.time_base), stream=stream, backward=True)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    for frame in container.decode(stream):
        if frame.time is None:
            continue
        t = float(frame.time)
        if t >= end:
            break
        for chunk in resampler.resample(frame):
            _place(out, chunk.to_ndarray().reshape(-1), t - start, rate)
            t += chunk.samples / rate
    return out


def _place(out: np.ndarray, samples: np.ndarray, at: float, rate: int) -> None:
    i = round(at * rate)
    lo, hi = max(0, i), min(len(out), i + len(samples))
    if hi > lo:
        out[lo:hi] = samples[lo - i : hi - i]
