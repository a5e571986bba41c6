"""A large upload streams: the client's memory stays flat while hundreds of MB go out."""

from __future__ import annotations

import threading
from pathlib import Path

import psutil
import pytest

from tests.client.conftest import make_client
from tests.fakeplatform import FakePlatform

SIZE = 300 * 1024 * 1024


class PeakRss:
    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.parametrize("as_file_object", [False, True])
async def test_upload_of_300_mb_keeps_rss_flat(
    fake: FakePlatform, tmp_path: Path, as_file_object: bool
) -> None:
    path = tmp_path / "big.mp4"
    with open(path, "wb") as f:
        f.truncate(SIZE)  # sparse file: no disk used, every byte still read and sent
    sent: list[int] = []
    async with make_client(fake, preflight=False, timeout=60) as client:
        with PeakRss() as rss:
            if as_file_object:
                with open(path, "rb") as f:
                    await client.embed.tasks.create(
                        "marengo3.0", video_file=f, on_upload_progress=lambda s, t: sent.append(s)
                    )
            else:
                await client.embed.tasks.create(
                    "marengo3.0", video_file=path, on_upload_progress=lambda s, t: sent.append(s)
                )
    assert sent[-1] == SIZE
    (req,) = fake.requests
    assert int(req.headers["Content-Length"]) > SIZE
    growth_mb = (rss.peak - rss.base) / 2**20
    # client and server share this process; both stream in 1 MiB chunks
    assert growth_mb < 48, f"RSS grew by {growth_mb:.1f} MB while uploading {SIZE >> 20} MB"
