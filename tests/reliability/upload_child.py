"""A process that uploads one file with ``client.assets.upload`` and reports on stdout:
one ``progress`` JSON line per confirmed batch, then a ``result`` line with the asset id,
the chunk PUTs it sent and its peak RSS growth during the upload (sampled every 5 ms
after an optional warm-up upload of a small file, so imports and first-use costs are
not counted). The parent may SIGKILL it at any line.

    python -m tests.reliability.upload_child BASE_URL API_KEY PATH STATE_DIR [WARM_UP_FILE]
"""

from __future__ import annotations

import json
import resource
import sys
import threading

import psutil

from twelvelabs_embed import TwelveLabs
from twelvelabs_embed.types.assets import UploadProgress


def main() -> None:
    base_url, key, path, state_dir = sys.argv[1:5]
    last = [-1]

    def progress(p: UploadProgress) -> None:
        if p.completed_chunks != last[0]:
            last[0] = p.completed_chunks
            line = {
                "progress": p.completed_bytes,
                "total": p.total_bytes,
                "chunks": p.completed_chunks,
            }
            print(json.dumps(line), flush=True)

    with TwelveLabs(api_key=key, base_url=base_url, timeout=120) as client:
        if len(sys.argv) > 5:  # warm up: imports, sessions and threads of a small upload
            client.assets.upload(sys.argv[5], multipart_threshold=0, resume=False)
        me = psutil.Process()
        base_rss = me.memory_info().rss
        peak, done = [base_rss], threading.Event()

        def sample() -> None:  # ru_maxrss would include the warm-up's own peak
            while not done.wait(0.005):
                peak[0] = max(peak[0], me.memory_info().rss)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            result = client.assets.upload(
                path, state_dir=state_dir, concurrency=4, progress_callback=progress,
                sleep_interval=0.2,
            )  # fmt: skip
        finally:
            done.set()
            sampler.join()
        peak[0] = max(peak[0], me.memory_info().rss)
    out = {"result": result.asset_id, "sent": result.chunks_sent, "resumed": result.resumed,
           "rss_growth": peak[0] - base_rss,
           "ru_maxrss_growth": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base_rss}  # fmt: skip
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
