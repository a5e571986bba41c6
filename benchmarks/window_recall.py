"""Window-level recall on real-photo slideshows (part of ``bench_encoder_recall.py``).

Each video shows three photos from the scikit-image wheel, 10 s each with a slow pan and
zoom, so neighbouring 6 s windows of one shot look alike; clip boundaries fall inside
shots. Copies: a 10% crop, the first 2.4 s trimmed off, and both. For every clip of a
copy, the right video is the original, and the right window is the original clip that
overlaps the copy's clip most (a trim of 2.4 s moves it by 2.4 s).

Columns, all recall@1 over every clip of every copy:
- ``video``: the nearest clip (cosine, among all clips of all videos) is in the right video;
- ``clip``: the nearest clip is the right window;
- ``+context``: the top hit's video's clips re-ranked by :func:`search.context_scores`
  (neighbours along the same time offset);
- ``+frames``: the top hit's video's window found by :func:`search.refine_hits` from the
  query window's frames alone (``neighbours=0``: frame descriptors slid over the
  candidate, 0.5 s steps), as ``search --like`` did before;
- ``+offset``: the same with the offset found from the query clip and two clips either
  side of it (``search --like`` now);
- ``pairs``: what ``similar`` clip pairs point at now: the ``+context`` pick corrected by
  :func:`search.window.align_clips` over the two videos' frame tracks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.photos import PHOTOS, photo_paths, slideshow
from tests.videos import crop, transcode
from twelvelabs_embed.local.media.segments import ClipPlan, embed_video
from twelvelabs_embed.models import EmbeddingMatrix
from twelvelabs_embed.search import Filters, SearchIndex, context_scores
from twelvelabs_embed.search.window import FrameTrack, align_clips, refine_hits
from twelvelabs_embed.video_rules import plan_clips

CLIP_SEC = 6.0
SHOT_SEC = 18.0
TRIM_SEC = 2.4
COPIES = {"crop10": (True, 0.0), "trim2.4": (False, TRIM_SEC), "crop+trim": (True, TRIM_SEC)}


def _matrix(path: Path, duration: float, encoder: str) -> EmbeddingMatrix:
    clips = tuple(plan_clips(duration, clip_length=CLIP_SEC))
    rows = [r for r in embed_video(ClipPlan(str(path), "marengo3.0", clips, ("clip",), encoder))
            if r.embedding_option == "visual"]  # fmt: skip
    return EmbeddingMatrix(
        np.asarray([r.vector for r in rows], np.float32),
        np.asarray([r.start_offset_sec for r in rows]),
        np.asarray([r.end_offset_sec for r in rows]),
        tuple(r.embedding_option for r in rows),
        tuple(r.embedding_scope for r in rows),
    )


def _copy(src: Path, dst: Path, cropped: bool, trim: float) -> Path:
    if not dst.exists():
        tmp = dst.with_name("untrimmed_" + dst.name)
        transcode(src, tmp if trim else dst, transform=crop() if cropped else None)
        if trim:
            _trim(tmp, dst, trim)
            tmp.unlink()
    return dst


def _trim(src: Path, dst: Path, seconds: float) -> None:
    import av

    from tests.photos import write

    def frames():  # type: ignore[no-untyped-def]
        with av.open(str(src)) as c:
            for f in c.decode(video=0):
                if f.time is not None and f.time >= seconds - 1e-6:
                    yield f.to_ndarray(format="rgb24")

    write(dst, frames())


def run(work: Path, n_videos: int = 6, encoder: str = "descriptor") -> dict[str, dict[str, float]]:
    work.mkdir(parents=True, exist_ok=True)
    names = [n for n in sorted(PHOTOS) if n in photo_paths()]
    sources, durations = [], []
    for i in range(n_videos):
        chosen = [names[(3 * i + j) % len(names)] for j in range(3)]
        sources.append(slideshow(work, f"show{i:02d}.mp4", chosen, shot_sec=SHOT_SEC, seed=i))
        durations.append(3 * SHOT_SEC)
    index = SearchIndex.from_matrices(
        [(str(s), _matrix(s, d, encoder)) for s, d in zip(sources, durations, strict=True)],
        model_name="marengo3.0",
    )
    visual = Filters(option="visual", scope="clip")
    out: dict[str, dict[str, float]] = {}
    for name, (cropped, trim) in COPIES.items():
        hits_video = hits_clip = hits_ctx = hits_frames = hits_offset = hits_pairs = total = 0
        for src, dur in zip(sources, durations, strict=True):
            copy = _copy(src, work / f"{src.stem}__{name}.mp4", cropped, trim)
            q = _matrix(copy, dur - trim, encoder)
            orig_rows = index.rows_of(str(src), "visual")
            o_start = index.columns["start_offset_sec"][orig_rows]
            o_end = index.columns["end_offset_sec"][orig_rows]
            ctx = {
                cand: context_scores(q.vectors @ index.vectors[index.rows_of(cand, "visual")].T)
                for cand in map(str, sources)
            }
            q_clips = list(zip(q.start_offset_sec.tolist(), q.end_offset_sec.tolist(), strict=True))
            o_clips = list(zip(o_start.tolist(), o_end.tolist(), strict=True))
            guesses = [int(np.argmax(row)) for row in ctx[str(src)]]
            pairs = align_clips(
                q_clips, FrameTrack.read(copy, 0.0, q_clips[-1][1]),
                o_clips, FrameTrack.read(src, 0.0, o_clips[-1][1]), guesses,
            )  # fmt: skip
            for i in range(len(q)):
                s, e = q.start_offset_sec[i] + trim, q.end_offset_sec[i] + trim
                truth = int(
                    orig_rows[int(np.argmax(np.minimum(e, o_end) - np.maximum(s, o_start)))]
                )
                hits = index.search(q.vectors[i], k=10, filters=visual)
                total += 1
                hits_video += hits[0].source == str(src)
                hits_clip += hits[0].row == truth
                cand_rows = index.rows_of(hits[0].source, "visual")
                hits_ctx += int(cand_rows[int(np.argmax(ctx[hits[0].source][i]))]) == truth
                query_range = (float(q.start_offset_sec[i]), float(q.end_offset_sec[i]))
                alone = refine_hits(index, q.vectors[i], hits, copy, query_range,
                                    neighbours=0, query_clips=q_clips)  # fmt: skip
                joint = refine_hits(index, q.vectors[i], hits, copy, query_range,
                                    query_clips=q_clips)  # fmt: skip
                hits_frames += alone[0].row == truth
                hits_offset += joint[0].row == truth
                hits_pairs += int(orig_rows[pairs[i]]) == truth
        out[name] = {
            "video": hits_video / total,
            "clip": hits_clip / total,
            "+context": hits_ctx / total,
            "+frames": hits_frames / total,
            "+offset": hits_offset / total,
            "pairs": hits_pairs / total,
            "queries": total,
        }
    return out


def print_table(results: dict[str, dict[str, float]], encoder: str) -> None:
    cols = ("video", "clip", "+context", "+frames", "+offset", "pairs")
    print(
        f"\nwindow recall@1 on real-photo slideshows ({encoder}; {CLIP_SEC:g} s clips in {SHOT_SEC:g} s shots)"
    )
    print(f"{'copy':12s}" + "".join(f"{c:>10s}" for c in cols) + "   queries")
    for name, r in results.items():
        print(f"{name:12s}" + "".join(f"{r[c]:10.3f}" for c in cols) + f"   {int(r['queries'])}")
