"""Decoding for the engine: a few small frames per clip, and the audio track as 16 kHz mono.

Decoding every frame of 1080p H.264 runs at about ten times real time on two cores, too
slow for the engine, so :func:`read_media` decodes only what the targets need:

- The keyframe index comes from the container (MP4: no I/O at all) or, failing that, from
  one demux pass without decoding.
- A target with a keyframe within ``tolerance`` takes that keyframe. When those keyframes
  are a good share of all keyframes in the span, one forward pass decodes keyframes only
  (``skip_frame = NONKEY``: every other frame is dropped before it is decoded) and, in
  the same pass, the audio; when they are few, each is reached by a seek.
- The other targets (a target past the end) decode on from the keyframe before them,
  seeking only when a keyframe lies between the decoder and the next target, and accept
  the first frame within ``tolerance`` (a keyframe inside it, if any). When they are many
  (long GOPs), every target is read this way, in one forward pass; frames nothing refers
  to (most B-frames) are skipped when the tolerance allows.

FFmpeg's own threads decode; each kept frame is scaled once, inside FFmpeg (area
averaging), straight to the encoder's square. Every FFmpeg failure becomes
:class:`~twelvelabs_embed.media_probe.ProbeFailed`.

Whatever a file claims, the work stays bounded (:mod:`twelvelabs_embed.rules.decode_limits`):
no decoder allocates a picture over the cap, every decoded frame is checked against the
resolution limit, the pixels decoded for one file stay within its budget, and a video
needs enough frames to back its duration; each refusal is a
:class:`~twelvelabs_embed.errors.DecodeRefused` with the code and message to show.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import av
import numpy as np
from av.video.reformatter import VideoReformatter

from ...media_probe import DECODER_OPTIONS, OPEN_OPTIONS, ProbeFailed, declared_duration, refuse
from ...rules import decode_limits as D

AUDIO_RATE = 16_000
DENSE_KEY_SHARE = 0.25
"""Decode every keyframe of the span in one pass when at least this share of them is used;
below it, seek to each used keyframe instead (all-intra files, very short GOPs)."""
STRAYS_SHARE = 0.5
"""When more targets than this share have no keyframe near them (long GOPs), every target
is decoded on in one pass: a keyframe pass first would decode some keyframes twice."""
NONREF_TOLERANCE_SEC = 0.25
"""Targets decoded on skip non-reference frames when they may be this far from the target."""
_DECODE_ERRORS = (av.FFmpegError, OSError, ValueError, IndexError, RuntimeError, EOFError)


@attrs.frozen
class Frames:
    """Decoded samples: ``images`` (N, size, size, 3) uint8 RGB, ``times`` (N,) seconds.

    ``times`` are the frames' own times relative to the video stream's start, one per
    target in target order (a target past the last frame gets the last frame).
    """

    images: np.ndarray
    times: np.ndarray


@attrs.define
class _Pick:
    """The best frame found so far for one target (absolute time, scaled image)."""

    time: float
    image: np.ndarray


def _open(path: str | os.PathLike[str]) -> Any:
    try:
        return av.open(os.fspath(path), metadata_errors="ignore", options=OPEN_OPTIONS)
    except _DECODE_ERRORS as exc:
        raise ProbeFailed(f"cannot open the file as media: {exc}") from exc


def _start_sec(stream: Any) -> float:
    if stream.start_time is not None and stream.time_base is not None:
        return float(stream.start_time * stream.time_base)
    return 0.0


def _keyframe_times(container: Any, stream: Any) -> tuple[list[float], int]:
    """Keyframe times (absolute seconds, sorted), for planning only (frames are matched by
    their decoded times), and how many packets were seen (index entries or demuxed).
    From the container's index when it has one: MP4 indexes by decode time, so the
    entries are shifted to start at the stream's start. Otherwise by demuxing the stream
    without decoding."""
    tb = stream.time_base
    try:
        entries = stream.index_entries
        keys = [e.timestamp for e in entries if e.is_keyframe] if len(entries) else []
    except (AttributeError, *_DECODE_ERRORS):
        keys = []
    if keys:
        shift = (stream.start_time or 0) - entries[0].timestamp
        return sorted(float((k + shift) * tb) for k in keys), len(entries)
    times = []
    packets = 0
    for packet in container.demux(stream):
        packets += 1 if packet.size else 0
        if packet.is_keyframe and packet.pts is not None:
            times.append(float(packet.pts * tb))
    times.sort()
    return times, packets


def _check_frames_back_duration(container: Any, stream: Any, known: int) -> None:
    """Refuse a duration the video's frames cannot back; counts packets (demuxing, no
    decoding, stopping once there are enough) only when ``known`` is too few."""
    duration = declared_duration(container, stream)
    needed = D.check_frames_back_duration(known, duration)
    if not needed:
        return
    count = 0
    for packet in container.demux(stream):
        count += 1 if packet.size else 0
        if not D.check_frames_back_duration(count, duration):
            return
    raise refuse(D.check_frames_back_duration(count, duration)[0])


class _Budget:
    """Counts decoded pixels against the file's budget and checks every frame's size."""

    def __init__(self, budget: int, video: bool) -> None:
        self.left = budget
        self.budget = budget
        self.video = video

    def take(self, frame: Any) -> None:
        self.left -= frame.width * frame.height
        if self.left < 0:
            raise refuse(D.over_budget(self.budget))
        if self.video:
            found = D.check_video_frame(frame.width, frame.height)
            if found:
                raise refuse(found[0])


_Window = tuple[float, float, float]


EDGE_SEC = 1e-6
"""How far short of ``target + tolerance`` a window stops: the engine's last sample of a
clip reaches exactly the clip's end, where the next scene's first frame (a keyframe) often
sits, and that frame belongs to the next clip."""


def _window(target: float, t0: float, tol: float) -> tuple[float, float, float]:
    """(want, near, latest): a frame in [want, latest] may stand in for the target;
    ``latest`` stops just short of ``target + tol`` (see ``EDGE_SEC``)."""
    return t0 + target - tol, t0 + target, t0 + target + max(0.0, tol - EDGE_SEC)


def _key_inside(keyframes: list[float], want: float, near: float, latest: float) -> float | None:
    lo = bisect.bisect_left(keyframes, want)
    hi = bisect.bisect_right(keyframes, latest)
    inside = keyframes[lo:hi]
    return min(inside, key=lambda k: abs(k - near)) if inside else None


def _seek_point(
    keyframes: list[float], want: float, near: float, latest: float, pos: float
) -> float | None:
    """Where to seek for a frame in [want, latest] (a window of :func:`_window`), or None
    to decode on from ``pos``.

    A keyframe inside the window is the cheapest frame there (nearest to ``near`` wins);
    otherwise the last keyframe before ``want``, if the decoder has not passed it yet.
    """
    lo = bisect.bisect_left(keyframes, want)
    hi = bisect.bisect_right(keyframes, latest)
    inside = [k for k in keyframes[lo:hi] if k > pos]
    if inside:
        return min(inside, key=lambda k: abs(k - near))
    if lo > 0 and keyframes[lo - 1] > pos:
        return keyframes[lo - 1]
    return None


def _seek(container: Any, stream: Any, keyframes: list[float], key: float) -> None:
    """Seek so that decoding starts at the keyframe planned at ``key``: aim halfway to the
    next keyframe, so an index time a frame or two off still lands on this keyframe."""
    i = bisect.bisect_right(keyframes, key)
    aim = (key + keyframes[i]) / 2 if i < len(keyframes) else key + 0.25
    container.seek(max(0, round(aim / stream.time_base)), stream=stream, backward=True)


def _small(frame: Any, size: int, reformatter: Any = None) -> np.ndarray:
    """One FFmpeg reformat straight to ``size`` x ``size`` RGB (area averaging), through
    one reformatter per read: a fresh scaler per frame costs more than the scaling."""
    scaler = reformatter if reformatter is not None else VideoReformatter()
    small = scaler.reformat(frame, width=size, height=size, format="rgb24", interpolation="AREA")
    img: np.ndarray = small.to_ndarray()
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
    video: bool = True,
) -> Frames:
    """One small RGB frame per target time (seconds from the start of the video stream).

    See :func:`read_media`, of which this is the video half.
    """
    frames, _ = read_media(path, targets, size=size, tolerance=tolerance, fast=fast, video=video)
    return frames


def read_media(
    path: str | os.PathLike[str],
    targets: Sequence[float],
    *,
    size: int = 96,
    tolerance: float = 0.5,
    fast: bool = True,
    audio: tuple[float, float] | None = None,
    rate: int = AUDIO_RATE,
    video: bool = True,
) -> tuple[Frames, np.ndarray | None]:
    """Frames at ``targets`` and, when ``audio`` = (start, end) is given, that range of
    the first audio stream, from one opening of the file.

    Args:
        targets: times in increasing order.
        size: side of the square output; aspect ratio is not kept (crop-robust features
            are computed on a fixed grid).
        tolerance: a frame within ``tolerance`` of a target may stand in for it (a
            keyframe there is preferred, the nearest one); without one, the first frame
            at or after ``target - tolerance``.
        fast: skip the deblocking filter, invisible after downscaling and ~25% faster.
        audio: seconds from the video start; the samples come back as by
            :func:`read_audio` (``None`` without an audio stream).
        video: hold every frame to the platform's video resolution limit and the file
            to enough frames for its duration (``False`` for a still image).

    Raises:
        DecodeRefused: a limit of :mod:`~twelvelabs_embed.rules.decode_limits` was hit.
        ProbeFailed: no video stream, or decoding fails, or nothing decodes.
    """
    if list(targets) != sorted(targets):
        raise ValueError("targets must be in increasing order")
    container = _open(path)
    try:
        with container:
            reader = _MediaReader(container, size, tolerance, fast, video, os.path.getsize(path))
            return reader.read(targets, audio, rate)
    except ProbeFailed:
        raise
    except av.ArgumentError as exc:  # the decoder refused a picture over the cap
        raise refuse(D.picture_refused()) from exc
    except _DECODE_ERRORS as exc:
        raise ProbeFailed(f"decoding failed: {exc}") from exc


class _MediaReader:
    """One open container: plans which frames serve which targets, then decodes them."""

    def __init__(
        self, container: Any, size: int, tol: float, fast: bool, video: bool, file_size: int
    ) -> None:
        if not container.streams.video:
            raise ProbeFailed("no video stream")
        self.container = container
        self.stream = stream = container.streams.video[0]
        self.size, self.tol = size, tol
        self.scaler = VideoReformatter()
        self.t0 = _start_sec(stream)
        self.keyframes, seen = _keyframe_times(container, stream)
        if video:
            _check_frames_back_duration(container, stream, max(seen, stream.frames or 0))
        duration = declared_duration(container, stream)
        self.budget = _Budget(D.decode_budget(duration, file_size), video)
        stream.thread_type = "AUTO"
        options = dict(DECODER_OPTIONS)
        if video:  # no video frame may be bigger than the platform's largest: refuse unallocated
            options["max_pixels"] = str(D.MAX_VIDEO_FRAME_PIXELS)
        if fast:
            options["skip_loop_filter"] = "all"
        stream.codec_context.options = options

    def read(
        self, targets: Sequence[float], audio: tuple[float, float] | None, rate: int
    ) -> tuple[Frames, np.ndarray | None]:
        picks: list[_Pick | None] = [None] * len(targets)
        windows = [_window(t, self.t0, self.tol) for t in targets]
        planned = [_key_inside(self.keyframes, *w) for w in windows]
        served = [i for i, k in enumerate(planned) if k is not None]
        keys = sorted({k for k in planned if k is not None})
        sound: np.ndarray | None = None
        audio_here = audio is not None and bool(self.container.streams.audio)
        if len(targets) - len(served) > STRAYS_SHARE * len(targets):
            served, keys = [], []  # decoding on serves those keyframes on the way
        if keys:
            lo = bisect.bisect_left(self.keyframes, keys[0])
            hi = bisect.bisect_right(self.keyframes, keys[-1])
            if len(keys) >= DENSE_KEY_SHARE * (hi - lo):
                wanted = audio if audio_here else None
                sound = self._keyframe_pass(served, windows, picks, keys, wanted, rate)
            else:
                self._keyframe_seeks(served, windows, picks, planned)
        rest = [i for i in range(len(targets)) if picks[i] is None]
        if rest:
            self._decode_on(rest, windows, picks)
        if audio_here and sound is None:
            assert audio is not None
            sound = _read_audio(self.container, self.t0 + audio[0], self.t0 + audio[1], rate)
        if not picks:
            raise ProbeFailed("no frame was requested or decoded")
        done = [p for p in picks if p is not None]
        images = np.stack([p.image for p in done])
        times = np.asarray([p.time - self.t0 for p in done], dtype=np.float64)
        return Frames(images, times), sound

    def _offer(
        self,
        frame: Any,
        t: float,
        idx: Sequence[int],
        windows: list[_Window],
        picks: list[_Pick | None],
    ) -> None:
        """Keep ``frame`` for every target in ``idx`` it serves better than its current pick."""
        image = None
        for i in idx:
            want, near, latest = windows[i]
            if not want <= t <= latest:
                continue
            best = picks[i]
            if best is None or abs(t - near) < abs(best.time - near):
                image = _small(frame, self.size, self.scaler) if image is None else image
                picks[i] = _Pick(t, image)

    def _keyframe_pass(
        self,
        idx: list[int],
        windows: list[_Window],
        picks: list[_Pick | None],
        keys: list[float],
        audio: tuple[float, float] | None,
        rate: int,
    ) -> np.ndarray | None:
        """Decode keyframes only, forward from the first used one (and the audio range in
        the same demux pass); returns the audio, or None when none was asked for."""
        stream, ctx = self.stream, self.stream.codec_context
        first, stop = keys[0], max(windows[i][2] for i in idx)
        astream = sound = None
        if audio is not None:
            a_start, a_end = self.t0 + audio[0], self.t0 + audio[1]
            j = bisect.bisect_right(self.keyframes, a_start - 0.5)
            first = min(first, self.keyframes[j - 1] if j else 0.0)
            astream = self.container.streams.audio[0]
            sound = _AudioSink(a_start, a_end, rate)
        ctx.skip_frame = "NONKEY"
        _seek(self.container, stream, self.keyframes, first)
        video_done = False
        streams = (stream,) if astream is None else (stream, astream)
        for packet in self.container.demux(*streams):
            if packet.stream is stream:
                if video_done:
                    continue
                for frame in packet.decode():
                    self.budget.take(frame)
                    if frame.time is None:
                        continue
                    t = float(frame.time)
                    if t > stop:
                        video_done = True
                        break
                    self._offer(frame, t, idx, windows, picks)
            elif sound is not None and not sound.done:
                for aframe in packet.decode():
                    sound.add(aframe)
            if video_done and (sound is None or sound.done):
                break
        ctx.skip_frame = "DEFAULT"
        return None if sound is None else sound.result()

    def _keyframe_seeks(
        self,
        idx: list[int],
        windows: list[_Window],
        picks: list[_Pick | None],
        planned: list[float | None],
    ) -> None:
        """Decode each used keyframe after a seek of its own (keyframes are dense)."""
        stream = self.stream
        stream.codec_context.skip_frame = "NONKEY"
        for key in sorted({k for i in idx if (k := planned[i]) is not None}):
            _seek(self.container, stream, self.keyframes, key)
            for frame in self.container.decode(stream):
                self.budget.take(frame)
                if frame.time is not None:
                    self._offer(frame, float(frame.time), idx, windows, picks)
                    break
        stream.codec_context.skip_frame = "DEFAULT"

    def _decode_on(self, idx: list[int], windows: list[_Window], picks: list[_Pick | None]) -> None:
        """Every other target: the first frame at or after ``want`` (the last frame for a
        target past the end), decoding forward and seeking only past a keyframe."""
        container, stream = self.container, self.stream
        if self.tol >= NONREF_TOLERANCE_SEC:
            # Frames no other frame refers to (most B-frames) are never the only frame
            # within a tolerance this wide; skipping them saves a third or more of the work.
            stream.codec_context.skip_frame = "NONREF"
        decoder: Iterator[Any] | None = None
        last: Any = None
        for n, i in enumerate(idx):
            want, near, latest = windows[i]
            pos = -1.0 if last is None or last.time is None else float(last.time)
            if pos >= want:
                prev = picks[idx[n - 1]] if n else None
                picks[i] = _Pick(pos, prev.image if prev else _small(last, self.size, self.scaler))
                continue
            seek_to = _seek_point(self.keyframes, want, near, latest, pos)
            if decoder is None or seek_to is not None:
                if seek_to is None:
                    container.seek(0, stream=stream, backward=True)
                else:
                    _seek(container, stream, self.keyframes, seek_to)
                decoder = container.decode(stream)
            found = None
            for frame in decoder:
                self.budget.take(frame)
                last = frame
                if frame.time is None or frame.time >= want:
                    found = frame
                    break
            if found is None and last is None:
                raise ProbeFailed("the video stream holds no decodable frame")
            frame = found if found is not None else last
            picks[i] = _Pick(float(frame.time or 0.0), _small(frame, self.size, self.scaler))


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


class _AudioSink:
    """Resamples decoded audio frames into a zero-padded mono buffer for [start, end).

    (Batching frames into one resampler call per few seconds was measured: no faster,
    and it moves the samples by the resampler's delay, so frames go in one by one.)
    """

    def __init__(self, start: float, end: float, rate: int) -> None:
        self.start, self.end, self.rate = start, end, rate
        self.out = np.zeros(max(0, round((end - start) * rate)), dtype=np.float32)
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        self.done = False

    def add(self, frame: Any) -> None:
        if frame.time is None or self.done:
            return
        t = float(frame.time)
        if t >= self.end:
            self.done = True
            return
        for chunk in self.resampler.resample(frame):
            _place(self.out, chunk.to_ndarray().reshape(-1), t - self.start, self.rate)
            t += chunk.samples / self.rate

    def result(self) -> np.ndarray:
        return self.out


def _read_audio(container: Any, start: float, end: float, rate: int) -> np.ndarray:
    stream = container.streams.audio[0]
    sink = _AudioSink(start, end, rate)
    # Half a second of lead-in: AAC and the resampler need the frames before ``start``
    # (a seek to or before the first packet reads from the very start of the file).
    container.seek(round((start - 0.5) / stream.time_base), stream=stream, backward=True)
    for packet in container.demux(stream):
        for frame in packet.decode():
            sink.add(frame)
        if sink.done:
            break
    return sink.result()


def _place(out: np.ndarray, samples: np.ndarray, at: float, rate: int) -> None:
    i = round(at * rate)
    lo, hi = max(0, i), min(len(out), i + len(samples))
    if hi > lo:
        out[lo:hi] = samples[lo - i : hi - i]
