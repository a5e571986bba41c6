"""Embed API v2 offline: a video's shots now, a Marengo 3.5 task, and a text query."""

import asyncio
import sys
from pathlib import Path

from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.sample_video import make_sample_video
from twelvelabs_embed.types import (
    TextInputRequest,
    VideoInputRequest,
    VideoSegmentation_Dynamic,
    VideoSegmentationDynamicDynamic,
)


async def main(video: Path) -> None:
    async with AsyncTwelveLabs.local() as client:  # on the platform: AsyncTwelveLabs()
        shots = await client.embed.v_2.create(  # sync: the answer has the vectors
            input_type="video",
            model_name="marengo3.0",
            video=VideoInputRequest(
                media_source=video,  # a local path: sent as base64 (up to 36 MB)
                segmentation=VideoSegmentation_Dynamic(
                    dynamic=VideoSegmentationDynamicDynamic(min_duration_sec=4)
                ),
                embedding_option=["visual"],
                embedding_scope=["clip"],
            ),
            on_media_source=lambda e: print(f"{e.path} sent as {e.sent_as}"),
        )
        for d in shots.data or []:
            print(f"shot {d.start_sec:g}-{d.end_sec:g} s: {len(d.embedding or [])} floats")

        task = await client.embed.v_2.tasks.create(  # a task: for long media
            input_type="video",
            model_name="marengo3.5",
            embedding_dimension=256,
            video={"media_source": video, "embedding_scope": ["clip", "asset"]},
        )
        done = await client.embed.v_2.tasks.wait_for_done(task.id, sleep_interval=0.5)
        print("task", done.status, done.to_numpy().vectors.shape)

        query = await client.embed.v_2.create(
            input_type="text",
            model_name="marengo3.0",
            text=TextInputRequest(input_text="a red kite"),
        )
        print("text vector:", len((query.data or [])[0].embedding or []), "floats")


if __name__ == "__main__":  # needed: the engine's worker processes re-import this file
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else make_sample_video("sample.mp4")))
