"""Media that costs far more to decode than its size suggests, made with PyAV (issue #20
items 5 and 6). Each is built from a few real encoded packets, copied with new
timestamps, so a file of thousands of frames is made in well under a second.
"""

from __future__ import annotations

import itertools
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

MS = Fraction(1, 1000)


def _encode(codec: str, width: int, height: int, frames: int, **options: str) -> list[bytes]:
    """``frames`` encoded packets (bytes) of a flat grey picture."""
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height = width, height
    ctx.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
    ctx.time_base = Fraction(1, 30)
    ctx.framerate = Fraction(30, 1)
    ctx.options = options
    ctx.open()
    image = np.full((height, width, 3), 128, np.uint8)
    out: list[bytes] = []
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format=ctx.pix_fmt)
        frame.pts = i
        out += [bytes(p) for p in ctx.encode(frame)]
    out += [bytes(p) for p in ctx.encode(None)]
    return out


def _mux(
    path: str | os.PathLike[str],
    codec: str,
    width: int,
    height: int,
    packets: list[tuple[bytes, int, bool]],
) -> Path:
    """Write ``(data, pts_ms, keyframe)`` packets as one video stream in Matroska."""
    with av.open(os.fspath(path), "w", format="matroska") as out:
        stream = out.add_stream(codec, rate=30)
        stream.width, stream.height = width, height
        if codec == "mjpeg":
            stream.pix_fmt = "yuvj420p"
        stream.time_base = MS
        for data, pts, key in packets:
            packet = av.Packet(data)
            packet.stream = stream
            packet.pts = packet.dts = pts
            packet.time_base = MS
            packet.is_keyframe = key
            out.mux(packet)
    return Path(path)


def skip_frame_bomb(
    path: str | os.PathLike[str], *, width: int, height: int, fps: int, seconds: float
) -> Path:
    """One VP8 keyframe, then the same all-skip inter frame over and over: a few bytes a
    frame, a full picture of decoding work each."""
    key, inter = _encode("libvpx", width, height, 2, deadline="realtime", **{"cpu-used": "8"})[:2]
    n = round(fps * seconds)
    packets = [(key, 0, True)] + [(inter, round(i * 1000 / fps), False) for i in range(1, n)]
    return _mux(path, "vp8", width, height, packets)


def _nal_units(annexb: bytes) -> list[bytes]:
    """Split an Annex B byte stream into NAL units (start codes kept)."""
    starts = [i for i in range(len(annexb) - 3) if annexb[i : i + 3] == b"\x00\x00\x01"]
    bounds = [*starts, len(annexb)]
    return [b"\x00" + annexb[a:b] for a, b in itertools.pairwise(bounds)]


def no_keyframe_stream(path: str | os.PathLike[str], *, frames: int) -> Path:
    """Raw H.264: parameter sets, then ``frames`` copies of one P slice and no keyframe.
    The decoder silently drops every frame while it waits for a keyframe that never
    comes, so a probe that decodes "until the first frame" reads the whole file."""
    first, inter = _encode("libx264", 640, 360, 2, preset="ultrafast", tune="zerolatency")[:2]
    params = b"".join(n for n in _nal_units(first) if n[4] & 0x1F in (7, 8))  # SPS, PPS
    with open(path, "wb") as f:
        f.write(params)
        f.write(inter * frames)
    return Path(path)


def growing_mjpeg(
    path: str | os.PathLike[str],
    *,
    big: tuple[int, int],
    frames: int = 4,
    seconds: float = 6.0,
) -> Path:
    """MJPEG declared 640x360 whose first frame is 640x360 and the rest ``big`` (w, h)."""
    small = _encode("mjpeg", 640, 360, 1)[0]
    large = _encode("mjpeg", *big, 1)[0]
    step = round(seconds * 1000 / frames)
    packets = [(small, 0, True)] + [(large, i * step, True) for i in range(1, frames + 1)]
    return _mux(path, "mjpeg", 640, 360, packets)


def stretched_stills(path: str | os.PathLike[str], *, last_at_sec: float) -> Path:
    """Two 640x360 frames, the second stamped ``last_at_sec`` after the first: a file of
    a few KB that declares a duration of hours."""
    jpeg = _encode("mjpeg", 640, 360, 1)[0]
    return _mux(path, "mjpeg", 640, 360, [(jpeg, 0, True), (jpeg, round(last_at_sec * 1000), True)])
