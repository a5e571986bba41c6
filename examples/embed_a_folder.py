"""A resumable bulk job over a folder, then a nearest-neighbour search over the results."""

import asyncio
import sys

import numpy as np

from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.results import read_results


async def main(folder: str) -> None:
    async with AsyncTwelveLabs.local() as client:
        results = await client.embed.tasks.embed_many(
            [folder],  # files, folders, URLs, or dicts with per-video parameters
            journal="job.db",  # SQLite: run again and it resumes without re-uploading
            out="vectors.jsonl",  # or .npz / .parquet; rows saved as each task finishes
            video_embedding_scope=["clip"],
            on_progress=lambda p: print(f"{p.done}/{p.total}", p.counts),
        )
    for failed in (r for r in results if r.state == "failed"):
        print("failed:", failed.source, failed.error_code, failed.error_message)

    loaded = read_results("vectors.jsonl")  # one float32 matrix + metadata columns
    visual = np.array(loaded.metadata["embedding_option"]) == "visual"
    vectors = loaded.vectors[visual]
    sources = np.array(loaded.metadata["source"])[visual]
    starts = np.array(loaded.metadata["start_offset_sec"])[visual]
    query = vectors[0]  # the first clip: which other clips look most like it?
    scores = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))
    for i in np.argsort(-scores)[:3]:
        print(f"{scores[i]:.3f}  {sources[i]} at {starts[i]:.0f} s")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
