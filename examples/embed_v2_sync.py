"""The Embed API v2 with the sync client: an image and a video, compared."""

import sys

import numpy as np

from twelvelabs_embed import TwelveLabs
from twelvelabs_embed.sample_video import make_sample_video

if __name__ == "__main__":
    video = sys.argv[1] if len(sys.argv) > 1 else make_sample_video("sample.mp4")
    with TwelveLabs.local() as client:  # on the platform: TwelveLabs()
        task = client.embed.v_2.tasks.create(
            input_type="video",
            model_name="marengo3.0",
            video={
                "media_source": video,
                "segmentation": {"strategy": "fixed", "fixed": {"duration_sec": 4}},
                "embedding_option": ["visual", "audio"],
                "embedding_type": ["separate_embedding", "fused_embedding"],
            },
        )
        done = client.embed.v_2.tasks.wait_for_done(task.id, sleep_interval=0.5)
        matrix = done.to_numpy()
        fused = matrix.select(embedding_option="fused", embedding_scope="clip")
        print(done.status, "clips start at", fused.start_offset_sec.tolist())
        unit = fused.vectors / np.linalg.norm(fused.vectors, axis=1, keepdims=True)
        print((unit @ unit.T).round(2))
