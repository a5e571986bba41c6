"""Embed one video offline on the local engine, then compare its clips."""

import asyncio
import sys

import numpy as np

from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.sample_video import make_sample_video


async def main(video: str) -> None:
    async with AsyncTwelveLabs.local() as client:  # on the platform: AsyncTwelveLabs()
        task = await client.embed.tasks.create(
            "marengo3.0",
            video_file=video,  # a path, bytes or a binary file object
            video_clip_length=4,
            video_embedding_scope=["clip", "video"],
        )
        final = await client.embed.tasks.wait_for_done(
            task.id, sleep_interval=1, callback=lambda s: print(s.status)
        )
        if final.status == "failed":
            raise SystemExit(f"{final.error.code}: {final.error.message}" if final.error else "")
        result = await client.embed.tasks.retrieve(task.id)
    matrix = result.to_numpy()  # float32 (segments x 512) + offsets, options, scopes
    clips = matrix.select(embedding_option="visual", embedding_scope="clip")
    unit = clips.vectors / np.linalg.norm(clips.vectors, axis=1, keepdims=True)
    print("clips start at", clips.start_offset_sec.tolist())
    print("cosine similarity of clip pairs:")
    print((unit @ unit.T).round(2))


if __name__ == "__main__":  # needed: the engine's worker processes re-import this file
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else str(make_sample_video("sample.mp4"))))
