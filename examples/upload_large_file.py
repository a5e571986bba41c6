"""Upload a large file as an asset, stop halfway (as Ctrl-C would), and resume it."""

import asyncio
import sys
from pathlib import Path

from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.sample_video import make_sample_video
from twelvelabs_embed.types.assets import UploadProgress


class Interrupted(Exception):
    """Stands in for Ctrl-C, a crash or a lost network."""


async def main(path: Path) -> None:
    async with AsyncTwelveLabs.local() as client:

        def stop_halfway(p: UploadProgress) -> None:
            print(f"{p.status}: {p.completed_chunks}/{p.total_chunks} chunks confirmed")
            if p.percentage >= 50:
                raise Interrupted

        try:
            await client.assets.upload(path, progress_callback=stop_halfway)
        except Interrupted:
            print("interrupted; running the same call again resumes it")
        # The upload id and the chunks sent are recorded in the user cache dir; the rerun
        # asks the platform what it has and sends only the rest.
        result = await client.assets.upload(path)
        assert result.asset is not None
        print(f"asset {result.asset_id} is {result.asset.status}: resumed={result.resumed},")
        print(f"sent {result.chunks_sent} more chunks of {result.asset.size} bytes")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        video = Path(sys.argv[1])
    else:  # a real video padded with a sparse hole to 300 MB: more than one direct upload
        video = make_sample_video(Path("sample.mp4"))
        with video.open("r+b") as f:
            f.truncate(300 * 1024 * 1024)
    asyncio.run(main(video))
