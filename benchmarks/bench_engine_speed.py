"""Claim: ``embed_video`` processes H.264 several times faster than merely decoding it.

Makes a 30 s 1080p30 and a 10 s 4K30 libx264 video (moving, textured content with film
grain, GOP 2 s, so decoding costs about what camera footage costs), then times, median of
3, in one process: a plain full PyAV decode (threads on; the baseline) and ``embed_video``
with default settings (both models' options, clip + video scopes).

    /work/venv/bin/python benchmarks/bench_engine_speed.py [--workdir DIR] [--no-4k]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.videos import make_video  # noqa: E402
from twelvelabs_embed.local.pipeline import EmbedJob, embed_video  # noqa: E402
from twelvelabs_embed.video_rules import plan_clips  # noqa: E402


def full_decode(path: Path) -> None:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for _ in c.decode(s):
            pass


def median_time(fn: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench(path: Path, duration: float, label: str) -> dict[str, float]:
    job = EmbedJob(str(path), "marengo3.0", tuple(plan_clips(duration)), ("clip", "video"))
    t_ours = median_time(lambda: embed_video(job))
    t_base = median_time(lambda: full_decode(path))
    row = {"embed_video": duration / t_ours, "full_decode": duration / t_base}
    print(
        f"{label:>6s}: embed_video {row['embed_video']:6.1f} video-s/s   "
        f"full decode {row['full_decode']:6.1f} video-s/s   ratio {t_base / t_ours:4.1f}x"
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", help="keep and reuse the made videos here")
    ap.add_argument("--no-4k", action="store_true")
    args = ap.parse_args()
    tmp = None if args.workdir else tempfile.TemporaryDirectory()
    work = Path(args.workdir or tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    cases = [("1080p", 1920, 1080, 30.0)]
    if not args.no_4k:
        cases.append(("4K", 3840, 2160, 10.0))
    for label, w, h, dur in cases:
        path = work / f"speed_{label}.mp4"
        if not path.exists():
            t = time.perf_counter()
            make_video(path, width=w, height=h, duration=dur, fps=30, pattern="texture",
                       seed=7, gop=60, grain=6)  # fmt: skip
            print(f"made {label} {dur:g} s in {time.perf_counter() - t:.0f} s")
        bench(path, dur, label)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
