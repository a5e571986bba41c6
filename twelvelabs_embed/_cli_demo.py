"""``twelvelabs-embed demo``: the whole job in one command, on the local engine."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from ._demo_video import SCENES, make_demo_video
from .client import AsyncTwelveLabs
from .results import rows_from_result

CLIP_SECONDS = 4.0


def similarity_table(labels: list[str], vectors: np.ndarray) -> Table:
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = unit @ unit.T
    table = Table()
    table.add_column("")
    for label in labels:
        table.add_column(label, justify="right")
    for label, row in zip(labels, sims, strict=True):
        table.add_row(label, *(f"{x:.2f}" for x in row))
    return table


async def run_demo(client: AsyncTwelveLabs, console: Console, out: Console) -> int:
    from .cli import segment_table

    with tempfile.TemporaryDirectory(prefix="twelvelabs-embed-demo-") as tmp:
        console.print(
            f"Making a {len(SCENES) * CLIP_SECONDS:.0f} s test video: {', '.join(SCENES)}"
        )
        path = make_demo_video(Path(tmp) / "demo.mp4", seconds_per_scene=CLIP_SECONDS)
        started = time.perf_counter()
        task = await client.embed.tasks.create(
            "marengo3.0",
            video_file=path,
            video_clip_length=CLIP_SECONDS,
            video_embedding_scope=["clip", "video"],
        )
        assert task.id is not None
        console.print(f"Created task {task.id}; waiting for it")
        final = await client.embed.tasks.wait_for_done(task.id, sleep_interval=0.5, timeout=300)
        if final.status != "ready":
            reason = final.error.message if final.error else "no reason given"
            console.print(f"error: task {task.id} failed: {reason}", markup=False)
            return 1
        result = await client.embed.tasks.retrieve(task.id)
    elapsed = time.perf_counter() - started
    rows = list(rows_from_result("demo.mp4", result))
    out.print(segment_table(task.id, rows))
    matrix = result.to_numpy()
    clips = matrix.select(embedding_option="visual", embedding_scope="clip")
    labels = [
        f"{s:.0f}-{e:.0f}s"
        for s, e in zip(clips.start_offset_sec, clips.end_offset_sec, strict=True)
    ]
    out.print("Visual clip-to-clip cosine similarity (each scene is most like itself):")
    out.print(similarity_table(labels, clips.vectors))
    out.print(
        f"{len(rows)} segments of {matrix.vectors.shape[1]} dimensions in {elapsed:.1f} s "
        "(upload, decode and embed on this machine)."
    )
    return 0
