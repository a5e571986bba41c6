"""``twelvelabs-embed demo``: the whole job in one command, on the local engine."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from rich.console import Console

from ..client import AsyncTwelveLabs
from ..models import EmbeddingMatrix
from ..results import rows_from_result
from ..sample_video import SCENES, make_sample_video
from .exit_codes import EXIT_FAILED, EXIT_OK
from .render import hits_table, say, segment_table, similarity_table

CLIP_SECONDS = 4.0
DEMO_QUERY = "a bouncing ball"


async def run_demo(client: AsyncTwelveLabs, console: Console, out: Console) -> int:
    with tempfile.TemporaryDirectory(prefix="twelvelabs-embed-demo-") as tmp:
        console.print(
            f"Making a {len(SCENES) * CLIP_SECONDS:.0f} s test video: {', '.join(SCENES)}"
        )
        path = make_sample_video(Path(tmp) / "demo.mp4", seconds_per_scene=CLIP_SECONDS)
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
            say(console, f"error: task {task.id} failed: {reason}")
            return EXIT_FAILED
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
    await _text_search(client, matrix, out)
    return EXIT_OK


async def _text_search(client: AsyncTwelveLabs, matrix: EmbeddingMatrix, out: Console) -> None:
    """Search the clips by text, as ``twelvelabs-embed search --text`` does."""
    from ..search import SearchIndex
    from ..search.commands import search_vector
    from ..search.query import embed_query

    index = SearchIndex.from_matrices([("demo.mp4", matrix)], model_name="marengo3.0")
    vector = await embed_query(client, index, text=DEMO_QUERY)
    hits = search_vector(index, vector, top=3, option="visual", scope="clip")
    out.print(hits_table(f'Text search: "{DEMO_QUERY}"', hits))
    out.print(
        "The engine's default encoder cannot relate text to pictures, so this ranking is "
        "arbitrary offline; with --encoder semantic (the model extra) text finds what "
        "ImageNet's 1000 classes can name. On the platform, Marengo understands text."
    )
