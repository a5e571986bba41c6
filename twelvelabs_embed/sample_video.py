"""A short synthetic video to try things on: three visibly different scenes of 4 s
(``twelvelabs-embed demo`` and the examples use it). Needs PyAV (the ``local`` extra)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

SCENES = ("sunset gradient", "moving checkerboard", "bouncing disc")


def _scene(kind: int, t: float, h: int, w: int) -> npt.NDArray[np.uint8]:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == 0:
        r = 200 + 55 * np.sin(t + xx / w * 3)
        g = 80 + 120 * (yy / h)
        b = 60 + 40 * np.cos(t + yy / h * 2)
    elif kind == 1:
        cell = 40
        board = ((((xx + t * 60) // cell) + (yy // cell)) % 2) * 200 + 30
        r, g, b = board, board * 0.6 + 40, 255 - board
    else:
        cx = w / 2 + w / 3 * math.sin(t * 2)
        cy = h / 2 + h / 3 * math.cos(t * 3)
        disc = ((xx - cx) ** 2 + (yy - cy) ** 2) < (h / 6) ** 2
        r = np.where(disc, 250, 20 + 30 * xx / w)
        g = np.where(disc, 220, 40)
        b = np.where(disc, 30, 90 + 60 * yy / h)
    rgb: npt.NDArray[np.uint8] = np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)
    return rgb


def make_sample_video(
    path: str | os.PathLike[str],
    *,
    seconds_per_scene: float = 4.0,
    width: int = 480,
    height: int = 360,
    fps: int = 10,
) -> Path:
    """Write an H.264 + AAC file of ``len(SCENES) * seconds_per_scene`` seconds; return its path."""
    import av

    total = int(len(SCENES) * seconds_per_scene * fps)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "28"}
        audio = out.add_stream("aac", rate=22050)
        audio.layout = "mono"
        for i in range(total):
            t = i / fps
            picture = av.VideoFrame.from_ndarray(
                _scene(int(t // seconds_per_scene), t, height, width), format="rgb24"
            )
            for packet in video.encode(picture.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        rate, chunk = 22050, 1024
        samples_total = int(total / fps * rate)
        for start in range(0, samples_total, chunk):
            n = min(chunk, samples_total - start)
            times = (start + np.arange(n)) / rate
            tone = 220.0 * (1 + (times // seconds_per_scene))
            wave = (0.2 * np.sin(2 * np.pi * tone * times)).astype(np.float32)
            sound = av.AudioFrame.from_ndarray(wave[None, :], format="fltp", layout="mono")
            sound.sample_rate, sound.pts = rate, start
            for packet in audio.encode(sound):
                out.mux(packet)
        for packet in audio.encode(None):
            out.mux(packet)
    return Path(path)
