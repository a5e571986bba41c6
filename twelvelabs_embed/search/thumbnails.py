"""One JPEG frame per hit, cut from the source with PyAV, for the HTML report.

Only local files are opened (a URL source or a missing file gets no thumbnail, never a
download). Errors of any kind give ``None``: a report without one picture is better than
no report.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

__all__ = ["thumbnail_jpeg"]

WIDTH = 320


def thumbnail_jpeg(source: str, seconds: float, *, width: int = WIDTH) -> bytes | None:
    """The first frame at or after ``seconds`` of the local file ``source`` as JPEG bytes,
    scaled to ``width`` pixels wide; ``None`` when the source is not a readable video."""
    path = Path(source)
    if "://" in source or not path.is_file():
        return None
    try:
        return _cut(os.fspath(path), max(0.0, float(seconds)), width)
    except Exception:  # any decoding trouble means "no picture"
        return None


@functools.lru_cache(maxsize=256)
def _cut(path: str, seconds: float, width: int) -> bytes | None:
    import av

    with av.open(path, metadata_errors="ignore") as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        base = stream.time_base
        start = float(stream.start_time * base) if stream.start_time and base else 0.0
        target = start + seconds
        if base is not None:
            container.seek(int(target / base), stream=stream, backward=True)
        chosen: Any = None
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is not None and frame.time >= target - 1e-3:
                break
        if chosen is None:
            return None
        return _encode(chosen, width)


def _encode(frame: Any, width: int) -> bytes:
    import av

    height = max(2, round(frame.height * width / max(frame.width, 1) / 2) * 2)
    small = frame.reformat(width=width, height=height, format="yuvj420p")
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuvj420p"
    codec.time_base = small.time_base or av.time_base_fraction()  # type: ignore[attr-defined]
    codec.options = {"qscale": "4"}
    packets = [*codec.encode(small), *codec.encode(None)]
    return b"".join(bytes(p) for p in packets)
