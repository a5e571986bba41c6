"""Real test media made with PyAV and numpy: videos, audio-only files, broken files.

Shared by the engine's tests and the benchmarks (``from tests.videos import make_video``).
Content is synthetic but video-like: a background that changes scene every few seconds,
moving shapes, texture, so time windows and videos differ from each other the way real
footage does. Everything is seeded and deterministic. Small sizes and low frame rates keep
the tests quick; pass ``width``/``height``/``fps`` for benchmark-sized files.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

Frame = np.ndarray
Transform = Callable[[np.ndarray], np.ndarray]

PATTERNS = ("shapes", "texture", "noise", "bars")
SCENE_SEC = 3.0
"""Every pattern changes scene this often, as real edited footage does."""


# --- content ------------------------------------------------------------------------


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Value noise in [0, 1]: a small random grid upsampled bilinearly (float32, h x w)."""
    gh, gw = cells + 1, max(2, round(cells * w / h)) + 1
    grid = rng.random((gh, gw)).astype(np.float32)
    ys = np.linspace(0, gh - 1.001, h, dtype=np.float32)
    xs = np.linspace(0, gw - 1.001, w, dtype=np.float32)
    y0, x0 = ys.astype(np.int32), xs.astype(np.int32)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    a = grid[y0][:, x0]
    b = grid[y0][:, x0 + 1]
    c = grid[y0 + 1][:, x0]
    d = grid[y0 + 1][:, x0 + 1]
    out: np.ndarray = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    return out


class _Scene:
    """One scene: a background image and a few moving shapes, all drawn from ``rng``."""

    def __init__(self, pattern: str, rng: np.random.Generator, width: int, height: int) -> None:
        self.pattern, self.w, self.h = pattern, width, height
        c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        n = _smooth_noise(rng, height, width, int(rng.integers(2, 6)))[..., None]
        base = c0 * (1 - n) + c1 * n
        if pattern == "texture":
            yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
            f1, f2, ang = [*rng.uniform(8, 40, 2).tolist(), rng.uniform(0, math.pi)]
            u = xx * math.cos(ang) + yy * math.sin(ang)
            v = -xx * math.sin(ang) + yy * math.cos(ang)
            plaid = np.sin(u * 2 * math.pi / f1 * width / 640) * np.sin(v * 2 * math.pi / f2)
            base = base + (plaid[..., None] * rng.uniform(30, 70, 3))
        elif pattern == "noise":
            fine = _smooth_noise(rng, height, width, int(rng.integers(12, 30)))[..., None]
            base = base * 0.5 + fine * rng.integers(0, 256, 3) * 0.7
        elif pattern == "bars":
            k = int(rng.integers(4, 9))
            cols = rng.integers(0, 256, (k, 3))
            idx = (np.arange(width) * k // width) % k
            base = base * 0.3 + cols[idx][None, :, :] * 0.7
        self.base = np.clip(base, 0, 255).astype(np.uint8)
        self.pan = rng.uniform(-0.08, 0.08, 2)  # fraction of the frame per second
        count = int(rng.integers(2, 6))
        self.shapes = [
            (
                rng.uniform(0.05, 0.3) * width,  # size x
                rng.uniform(0.05, 0.3) * height,  # size y
                rng.uniform(0, 1, 2),  # start position (fraction)
                rng.uniform(-0.25, 0.25, 2),  # velocity (fraction per second)
                rng.integers(0, 256, 3).astype(np.uint8),
                bool(rng.integers(0, 2)),  # ellipse?
            )
            for _ in range(count)
        ]

    def render(self, t: float) -> np.ndarray:
        dy = int(self.pan[0] * t * self.h)
        dx = int(self.pan[1] * t * self.w)
        img = np.roll(self.base, (dy, dx), axis=(0, 1)) if dx or dy else self.base.copy()
        for sx, sy, p0, vel, colour, ellipse in self.shapes:
            pos = np.abs(((p0 + vel * t) % 2.0) - 1.0)  # bounce in [0, 1]
            cy, cx = pos[0] * self.h, pos[1] * self.w
            y0, y1 = max(0, int(cy - sy / 2)), min(self.h, int(cy + sy / 2))
            x0, x1 = max(0, int(cx - sx / 2)), min(self.w, int(cx + sx / 2))
            if y1 <= y0 or x1 <= x0:
                continue
            if ellipse:
                yy = (np.arange(y0, y1)[:, None] - cy) / (sy / 2)
                xx = (np.arange(x0, x1)[None, :] - cx) / (sx / 2)
                img[y0:y1, x0:x1][yy**2 + xx**2 <= 1.0] = colour
            else:
                img[y0:y1, x0:x1] = colour
        return img


def frames(
    *,
    width: int,
    height: int,
    duration: float,
    fps: float,
    pattern: str = "shapes",
    seed: int = 0,
    grain: int = 0,
) -> Iterator[np.ndarray]:
    """The RGB uint8 frames of a synthetic video, scene by scene.

    ``grain`` (0-64) adds per-frame noise, which makes files as costly to decode as camera
    footage; the flat synthetic content alone decodes unrealistically fast.
    """
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; use one of {PATTERNS}")
    scenes: dict[int, _Scene] = {}
    bank = np.random.default_rng(seed).integers(0, grain + 1, (4, height, width, 3), np.uint8)
    for i in range(max(1, round(duration * fps))):
        t = i / fps
        k = int(t // SCENE_SEC)
        if k not in scenes:
            scenes.clear()
            rng = np.random.default_rng([seed, k, PATTERNS.index(pattern)])
            scenes[k] = _Scene(pattern, rng, width, height)
        img = scenes[k].render(t - k * SCENE_SEC)
        if grain:
            np.minimum(img, 255 - grain, out=img)
            img += bank[i % len(bank)]
        yield img


# --- transforms (what a re-upload does to a video) -----------------------------------


def crop(
    frac_l: float = 0.04, frac_r: float = 0.06, frac_t: float = 0.03, frac_b: float = 0.07
) -> Transform:
    """Cut the given fractions off each side (default: 10% of each dimension, off-centre)."""

    def f(img: np.ndarray) -> np.ndarray:
        h, w = img.shape[:2]
        y0, y1 = int(h * frac_t), h - int(h * frac_b)
        x0, x1 = int(w * frac_l), w - int(w * frac_r)
        return img[y0:y1, x0:x1]

    return f


def caption_bar(height_frac: float = 0.12, white: bool = False, seed: int = 0) -> Transform:
    """A solid band over the bottom of the frame with text-like blocks on it."""

    def f(img: np.ndarray) -> np.ndarray:
        out = img.copy()
        h, w = out.shape[:2]
        bar = int(h * height_frac)
        bg, fg = (235, 20) if white else (12, 240)
        out[h - bar :] = bg
        rng = np.random.default_rng(seed)
        x = int(w * 0.08)
        gy0, gy1 = h - bar + bar // 4, h - bar // 4
        while x < w * 0.9:
            cw = int(rng.integers(max(2, w // 120), max(3, w // 50)))
            out[gy0:gy1, x : x + cw] = fg
            x += cw + int(rng.integers(max(1, w // 300), max(2, w // 80)))
        return out

    return f


def mirror() -> Transform:
    return lambda img: np.ascontiguousarray(img[:, ::-1])


def tone(brightness: float = 20.0, contrast: float = 0.85) -> Transform:
    """Mild brightness/contrast change around mid-grey."""

    def f(img: np.ndarray) -> np.ndarray:
        v = (img.astype(np.float32) - 128.0) * contrast + 128.0 + brightness
        return np.clip(v, 0, 255).astype(np.uint8)

    return f


def chain(*fs: Transform) -> Transform:
    def f(img: np.ndarray) -> np.ndarray:
        for g in fs:
            img = g(img)
        return img

    return f


# --- writing ------------------------------------------------------------------------


def _even(n: int) -> int:
    return max(2, n - n % 2)


def _add_video_stream(
    out: av.container.OutputContainer,
    *,
    codec: str,
    fps: float,
    width: int,
    height: int,
    crf: int | None,
    bitrate: int | None,
    gop: int | None,
    preset: str,
) -> av.VideoStream:
    options: dict[str, str] = {}
    if codec == "libx264":
        options["preset"] = preset
        if bitrate is None:
            options["crf"] = str(23 if crf is None else crf)
    stream = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1001), options=options)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    if bitrate is not None:
        stream.bit_rate = bitrate
    if gop is not None:
        stream.codec_context.gop_size = gop
    return stream


def _tone_samples(seed: int, t0: float, n: int, rate: int) -> np.ndarray:
    """A seeded melody: one sine note per 0.5 s, plus a little noise (float32 mono)."""
    t = t0 + np.arange(n) / rate
    rng = np.random.default_rng(seed)
    notes = rng.uniform(180, 1800, 64)
    freq = notes[(t / 0.5).astype(np.int64) % len(notes)]
    sig = 0.3 * np.sin(2 * np.pi * freq * t) + 0.02 * rng.standard_normal(n)
    out: np.ndarray = sig.astype(np.float32)
    return out


def make_video(
    path: str | os.PathLike[str],
    *,
    width: int = 640,
    height: int = 360,
    duration: float = 6.0,
    fps: float = 15,
    pattern: str = "shapes",
    seed: int = 0,
    audio: bool = False,
    codec: str = "libx264",
    crf: int | None = None,
    bitrate: int | None = None,
    transform: Transform | None = None,
    gop: int | None = None,
    preset: str = "veryfast",
    grain: int = 0,
) -> Path:
    """Write a synthetic video (with a seeded tone track when ``audio``) and return its path.

    ``transform`` is applied to every frame before encoding; the stream takes the size of
    the transformed frame (rounded down to even numbers).
    """
    src = frames(
        width=width, height=height, duration=duration, fps=fps, pattern=pattern, seed=seed,
        grain=grain,
    )  # fmt: skip
    return write_frames(
        path, src, fps=fps, codec=codec, crf=crf, bitrate=bitrate, transform=transform,
        gop=gop, preset=preset, audio_seed=seed if audio else None, duration=duration,
    )  # fmt: skip


def write_frames(
    path: str | os.PathLike[str],
    src: Iterator[np.ndarray],
    *,
    fps: float,
    codec: str = "libx264",
    crf: int | None = None,
    bitrate: int | None = None,
    transform: Transform | None = None,
    gop: int | None = None,
    preset: str = "veryfast",
    size: tuple[int, int] | None = None,
    audio_seed: int | None = None,
    duration: float = 0.0,
) -> Path:
    """Encode RGB frames; ``size`` (w, h) rescales inside FFmpeg after ``transform``."""
    path = Path(path)
    with av.open(str(path), "w") as out:
        stream: av.VideoStream | None = None
        astream = None
        if audio_seed is not None:
            astream = out.add_stream("aac", rate=44100)
            astream.layout = "mono"
        for img in src:
            if transform is not None:
                img = transform(img)
            h, w = img.shape[:2]
            img = np.ascontiguousarray(img[: _even(h), : _even(w)])
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            if stream is None:
                ow, oh = size or (frame.width, frame.height)
                stream = _add_video_stream(
                    out, codec=codec, fps=fps, width=_even(ow), height=_even(oh),
                    crf=crf, bitrate=bitrate, gop=gop, preset=preset,
                )  # fmt: skip
            frame = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
            for packet in stream.encode(frame):
                out.mux(packet)
        if stream is not None:
            for packet in stream.encode(None):
                out.mux(packet)
        if astream is not None and audio_seed is not None:
            _write_tone(out, astream, audio_seed, duration)
    return path


def _write_tone(
    out: av.container.OutputContainer, stream: av.AudioStream, seed: int, duration: float
) -> None:
    rate, n_total, chunk = stream.rate, int(duration * stream.rate), 1024
    for i in range(0, n_total, chunk):
        samples = _tone_samples(seed, i / rate, min(chunk, n_total - i), rate)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="fltp", layout="mono")
        frame.sample_rate, frame.pts = rate, i
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)


def make_audio_only(path: str | os.PathLike[str], duration: float = 6.0, *, seed: int = 0) -> Path:
    """An AAC file with no video stream (``.m4a``/``.mp4``), or 16-bit PCM for ``.wav``."""
    path = Path(path)
    with av.open(str(path), "w") as out:
        if path.suffix.lower() == ".wav":
            stream = out.add_stream("pcm_s16le", rate=16000)
            stream.layout = "mono"
            samples = _tone_samples(seed, 0.0, int(duration * 16000), 16000)
            pcm = (samples * 32767).astype(np.int16)[None, :]
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate = 16000
            for packet in stream.encode(frame):
                out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        else:
            stream = out.add_stream("aac", rate=44100)
            stream.layout = "mono"
            _write_tone(out, stream, seed, duration)
    return path


def transcode(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    transform: Transform | None = None,
    size: tuple[int, int] | None = None,
    crf: int | None = None,
    bitrate: int | None = None,
    gop: int | None = None,
    max_duration: float | None = None,
) -> Path:
    """Decode ``src``, apply ``transform`` per frame, re-encode to ``dst`` (video only)."""
    with av.open(os.fspath(src)) as inp:
        vs = inp.streams.video[0]
        fps = float(vs.average_rate or 25)

        def decoded() -> Iterator[np.ndarray]:
            for fr in inp.decode(vs):
                if max_duration is not None and fr.time is not None and fr.time >= max_duration:
                    return
                yield fr.to_ndarray(format="rgb24")

        return write_frames(
            dst, decoded(), fps=fps, crf=crf, bitrate=bitrate, transform=transform, gop=gop,
            size=size,
        )  # fmt: skip


def truncate(src: str | os.PathLike[str], dst: str | os.PathLike[str], keep: float = 0.5) -> Path:
    """Copy the first ``keep`` fraction of ``src``'s bytes: a file cut off mid-upload."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * keep)])
    return Path(dst)


def make_garbage(path: str | os.PathLike[str], size: int = 4096, *, seed: int = 0) -> Path:
    """Random bytes with a video file name: not media at all."""
    Path(path).write_bytes(np.random.default_rng(seed).bytes(size))
    return Path(path)


def make_image(
    path: str | os.PathLike[str], *, width: int = 320, height: int = 240, seed: int = 0
) -> Path:
    """A still image (PNG or JPEG by suffix) of the first frame of a synthetic scene."""
    path = Path(path)
    img = next(iter(frames(width=width, height=height, duration=1.0, fps=1.0, seed=seed)))
    codec = "mjpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "png"
    with av.open(str(path), "w", format="image2") as out:
        stream = out.add_stream(codec)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "rgb24"
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        for packet in stream.encode(frame.reformat(format=stream.pix_fmt)):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
