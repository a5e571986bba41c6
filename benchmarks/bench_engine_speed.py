"""Claim: ``embed_video`` processes H.264 several times faster than merely decoding it.

Makes a 30 s 1080p30 and a 10 s 4K30 libx264 video (moving, textured content with film
grain, GOP 2 s, so decoding costs about what camera footage costs), then times, median of
3, in one process: a plain full PyAV decode (threads on; the baseline) and ``embed_video``
with default settings (both models' options, clip + video scopes).

    python -m benchmarks.bench_engine_speed [--workdir DIR] [--no-4k] [--quick]
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
NAME = "engine_speed"
sys.path.insert(0, str(ROOT))

from benchmarks import Report, Row  # noqa: E402
from tests.videos import make_video  # noqa: E402
from twelvelabs_embed.local.media.segments import ClipPlan, embed_video  # noqa: E402
from twelvelabs_embed.video_rules import plan_clips  # noqa: E402


def full_decode(path: Path) -> None:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for _ in c.decode(s):
            pass


def timings(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def bench(report: Report, path: Path, duration: float, label: str, runs: int) -> None:
    job = ClipPlan(str(path), "marengo3.0", tuple(plan_clips(duration)), ("clip", "video"))
    ours = timings(lambda: embed_video(job), runs)
    base = timings(lambda: full_decode(path), runs)
    group = f"{label} H.264, {duration:g} s"
    for case, samples, baseline in (
        ("PyAV full decode (threads on)", base, None),
        ("embed_video (defaults)", ours, "PyAV full decode (threads on)"),
    ):
        rate = duration / statistics.median(samples)
        report.add(Row(group, case, samples, baseline=baseline, extra={"video-s/s": f"{rate:.1f}"}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_engine_speed")
    ap.add_argument("--workdir", help="keep and reuse the made videos here")
    ap.add_argument("--no-4k", action="store_true")
    ap.add_argument("--quick", action="store_true", help="10 s of 1080p only, one run (smoke)")
    args = ap.parse_args(argv)
    report = Report(NAME, "local engine: video-seconds per wall-second", quick=args.quick)
    report.notes.append(
        "ratio < 1 means embed_video is faster than decoding every frame; target: "
        ">= 20 video-s/s at 1080p30 (issue 4)"
    )
    tmp = None if args.workdir else tempfile.TemporaryDirectory()
    work = Path(args.workdir or tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    cases = [("1080p30", 1920, 1080, 10.0 if args.quick else 30.0)]
    if not (args.no_4k or args.quick):
        cases.append(("4K30", 3840, 2160, 10.0))
    for label, w, h, dur in cases:
        path = work / f"speed_{label}_{dur:g}.mp4"
        if not path.exists():
            t = time.perf_counter()
            make_video(path, width=w, height=h, duration=dur, fps=30, pattern="texture",
                       seed=7, gop=60, grain=6)  # fmt: skip
            print(f"made {label} {dur:g} s in {time.perf_counter() - t:.0f} s", flush=True)
        bench(report, path, dur, label, 1 if args.quick else 3)
    report.finish()
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
