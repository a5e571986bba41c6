"""The same with the sync client: no asyncio needed."""

import sys

from twelvelabs_embed import TwelveLabs
from twelvelabs_embed.sample_video import make_sample_video

if __name__ == "__main__":
    video = sys.argv[1] if len(sys.argv) > 1 else make_sample_video("sample.mp4")
    with TwelveLabs.local() as client:  # on the platform: TwelveLabs()
        task = client.embed.tasks.create("marengo3.0", video_file=video)
        client.embed.tasks.wait_for_done(task.id, sleep_interval=1)
        for segment in client.embed.tasks.retrieve(task.id).segments:
            print(segment.embedding_option, segment.start_offset_sec, len(segment.float_ or []))
