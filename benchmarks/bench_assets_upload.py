"""Large-file upload to assets: this SDK's resumable multipart upload against raw aiohttp
streaming the same chunks to the same engine, and the official helper beside them.

The engine runs as its own process (``python -m twelvelabs_embed.local``); the file is
``--size-mb`` of non-zero bytes (so the engine writes every chunk). Each repetition:

* ``raw aiohttp``: one session, every chunk PUT with aiohttp streaming the file slice
  (4 at a time), then one report: the transfer floor, no hashing, no record (baseline);
* ``twelvelabs_embed assets.upload``: resumable multipart (4 at a time), MD5 checked,
  state recorded, ETags reported in batches (``wait=False``: the probe is not timed);
* ``official upload_file``: SDK 1.3.6's helper (``max_workers=4``), which first copies
  the file into chunk files beside it; its peak extra disk use is sampled.

Goal: this SDK's throughput >= 0.8x raw aiohttp (time ratio <= 1.25).

    python -m benchmarks.bench_assets_upload [--quick] [--size-mb 2048] [--reps 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

from . import Report, Row

NAME = "assets_upload"
MiB = 1024 * 1024
KEY = "tlk_bench_assets"
RAW, OURS, OFFICIAL = "raw aiohttp PUTs", "twelvelabs_embed assets.upload", "official upload_file"


def make_file(path: Path, size: int) -> None:
    block = os.urandom(MiB)
    with path.open("wb") as f:
        for i in range(size // MiB):
            f.write(block[i % 7 :] + block[: i % 7])  # no two chunks alike


class Engine:
    def __init__(self, data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "twelvelabs_embed.local", "--port", "0", "--data-dir",
             str(data_dir), "--workers", "1", "--api-key", KEY, "--log-level", "WARNING"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/v1\.3)", line)
        assert match, line
        self.base_url = match.group(1)
        self.data_dir = data_dir

    def clear(self) -> None:
        shutil.rmtree(self.data_dir / "assets", ignore_errors=True)
        (self.data_dir / "assets").mkdir(exist_ok=True)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


async def raw_upload(base_url: str, path: Path, concurrency: int) -> None:
    size = path.stat().st_size
    headers = {"x-api-key": KEY}
    async with aiohttp.ClientSession(headers=headers) as api, aiohttp.ClientSession() as put:
        r = await api.post(f"{base_url}/assets/multipart-uploads",
                           json={"filename": path.name, "type": "video", "total_size": size})  # fmt: skip
        up = await r.json()
        chunk, total, upload_id = up["chunk_size"], up["total_chunks"], up["upload_id"]
        urls = {u["chunk_index"]: u["url"] for u in up["upload_urls"]}
        for start in range(51, total + 1, 50):
            more = await api.post(f"{base_url}/assets/multipart-uploads/{upload_id}/presigned-urls",
                                  json={"start": start, "count": min(50, total - start + 1)})  # fmt: skip
            urls.update({u["chunk_index"]: u["url"] for u in (await more.json())["upload_urls"]})
        fd = os.open(path, os.O_RDONLY)
        done: list[dict[str, Any]] = []
        queue = list(range(1, total + 1))

        async def worker() -> None:
            while queue:
                i = queue.pop(0)
                offset, length = (i - 1) * chunk, min(chunk, size - (i - 1) * chunk)

                async def body(offset: int = offset, length: int = length) -> Any:
                    sent = 0
                    while sent < length:
                        n = min(MiB, length - sent)
                        yield await asyncio.to_thread(os.pread, fd, n, offset + sent)
                        sent += n

                async with put.put(
                    urls[i], data=body(), headers={"Content-Length": str(length)}
                ) as resp:
                    assert resp.status == 200, await resp.text()
                    done.append({"chunk_index": i, "proof": resp.headers["ETag"].strip('"'),
                                 "proof_type": "etag", "chunk_size": length})  # fmt: skip

        try:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        finally:
            os.close(fd)
        r = await api.post(f"{base_url}/assets/multipart-uploads/{upload_id}",
                           json={"completed_chunks": done})  # fmt: skip
        assert (await r.json())["total_completed"] == total


async def ours_upload(base_url: str, path: Path, concurrency: int, state: Path) -> None:
    from twelvelabs_embed import AsyncTwelveLabs

    async with AsyncTwelveLabs(api_key=KEY, base_url=base_url, timeout=300) as client:
        await client.assets.upload(path, concurrency=concurrency, wait=False, state_dir=state)


def official_upload(base_url: str, path: Path, concurrency: int) -> int:
    """Runs the helper; returns the peak bytes of its chunk copies beside the file."""
    import httpx
    from twelvelabs import TwelveLabs

    chunks_dir = path.parent / f"{path.stem}_chunks"
    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                used = sum(f.stat().st_size for f in chunks_dir.iterdir())
            except OSError:
                used = 0
            peak[0] = max(peak[0], used)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with httpx.Client(timeout=600) as http:
            client = TwelveLabs(api_key=KEY, base_url=base_url, httpx_client=http)
            client.multipart_upload.upload_file(path, max_workers=concurrency)
    finally:
        stop.set()
        sampler.join()
    return peak[0]


def run(report: Report, size_mb: int, reps: int, concurrency: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-assets-"))
    try:
        path = work / "big.mp4"
        make_file(path, size_mb * MiB)
        engine = Engine(work / "engine")
        rows = {
            RAW: report.add(Row("upload", RAW)),
            OURS: report.add(Row("upload", OURS, baseline=RAW, target=1.25)),
            OFFICIAL: report.add(Row("upload", OFFICIAL, baseline=RAW)),
        }
        disk: list[int] = []
        try:
            for rep in range(reps):
                for case in (RAW, OURS, OFFICIAL):  # interleaved: the same conditions for each
                    engine.clear()
                    start = time.perf_counter()
                    if case == RAW:
                        asyncio.run(raw_upload(engine.base_url, path, concurrency))
                    elif case == OURS:
                        state = work / f"state-{rep}"  # a fresh record: each rep uploads in full
                        asyncio.run(ours_upload(engine.base_url, path, concurrency, state))
                    else:
                        disk.append(official_upload(engine.base_url, path, concurrency))
                    rows[case].samples.append(time.perf_counter() - start)
        finally:
            engine.stop()
        size = size_mb * MiB
        for row in rows.values():
            row.extra["MB/s"] = f"{size / 1e6 / statistics.median(row.samples):.0f}"
        rows[OURS].extra["extra disk"] = "0 MB (reads the file in place)"
        rows[OFFICIAL].extra["extra disk"] = f"{max(disk) / 1e6:.0f} MB peak (chunk copies)"
        report.params.update(size_mb=size_mb, reps=reps, concurrency=concurrency)
        report.notes.append(
            "ratio = wall time / raw aiohttp wall time (lower is better; <= 1.25 is >= 0.8x "
            "throughput); all three hit the same engine process, interleaved per repetition"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_assets_upload")
    parser.add_argument("--quick", action="store_true", help="256 MB, one repetition")
    parser.add_argument("--size-mb", type=int, default=None, help="file size in MiB (default 2048)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3)")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    size = args.size_mb or (256 if args.quick else 2048)
    reps = args.reps or (1 if args.quick else 3)
    report = Report(
        NAME, "assets: multipart upload vs raw aiohttp, official helper beside", quick=args.quick
    )
    run(report, size, reps, args.concurrency)
    report.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
