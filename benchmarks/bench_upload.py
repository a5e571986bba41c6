"""Upload of a large (sparse) file: peak RSS of the client process and throughput.

Each repetition of each mode runs in a fresh ``python`` process (``ru_maxrss`` never goes
down), which imports only the client it measures; the server is another process. Memory
is read two ways: a thread sampling ``psutil`` RSS every 10 ms, and ``ru_maxrss`` at the
end. The file is made with ``truncate`` (no disk used; reads are zero pages).

Modes:

* ``raw aiohttp``: ``aiohttp.FormData`` with the open file, aiohttp's own streaming
  (the baseline for time);
* this SDK's ``create`` from a path, from an open file object, and from a non-seekable
  stream (no length known; sent chunked), all with ``preflight=False``;
* the official SDK's ``AsyncTwelveLabs().embed.tasks.create(video_file=open(...))``.

Target: peak RSS under 60 MB for this SDK.

    python -m benchmarks.bench_upload [--quick] [--size-mb 500]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from . import Report, Row
from ._server import API_KEY, LoopbackServer

NAME = "upload"
MB = 1_000_000
RSS_TARGET_MB = 60.0
RAW = "raw aiohttp FormData(open file)"
MODES = {
    "raw": RAW,
    "ours-path": "twelvelabs_embed create(video_file=path)",
    "ours-file": "twelvelabs_embed create(video_file=open(path))",
    "ours-stream": "twelvelabs_embed create(video_file=<non-seekable stream>)",
    "official-file": "official AsyncTwelveLabs create(video_file=open(path))",
}


class NonSeekable(io.RawIOBase):
    """A read-only stream with no length and no ``seek`` (like a pipe from an encoder)."""

    def __init__(self, path: str) -> None:
        self._f = open(path, "rb", buffering=0)  # noqa: SIM115 (closed in close())

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._f.readinto(buffer) or 0

    def close(self) -> None:
        self._f.close()
        super().close()


class RssSampler(threading.Thread):
    """Sample this process's RSS every ``interval`` seconds; keep the peak."""

    def __init__(self, interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        import psutil

        self._proc = psutil.Process()
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            self.samples += 1
            self._halt.wait(self.interval)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)
        return self.peak


async def _child_upload(mode: str, api_url: str, path: str) -> dict[str, Any]:
    """Runs in the fresh process: build the client, then time one upload."""
    if mode == "raw":
        import aiohttp

        session = aiohttp.ClientSession(headers={"x-api-key": API_KEY})

        async def upload() -> Any:
            with open(path, "rb") as f:
                form = aiohttp.FormData()
                form.add_field("model_name", "Marengo-retrieval-2.7")
                form.add_field("video_file", f, filename=os.path.basename(path))
                async with session.post(f"{api_url}/embed/tasks", data=form) as resp:
                    resp.raise_for_status()
                    return await resp.json()

        async def close() -> None:
            await session.close()

    elif mode.startswith("ours-"):
        from twelvelabs_embed import AsyncTwelveLabs

        client = AsyncTwelveLabs(API_KEY, base_url=api_url, preflight=False)

        async def upload() -> Any:
            if mode == "ours-path":
                task = await client.embed.tasks.create("Marengo-retrieval-2.7", video_file=path)
            else:
                f = open(path, "rb") if mode == "ours-file" else NonSeekable(path)  # noqa: SIM115
                with f:
                    task = await client.embed.tasks.create("Marengo-retrieval-2.7", video_file=f)
            return {"_id": task.id, **task.extra}

        async def close() -> None:
            await client.close()

    elif mode == "official-file":
        from twelvelabs import AsyncTwelveLabs as Official

        official = Official(api_key=API_KEY, base_url=api_url)

        async def upload() -> Any:
            with open(path, "rb") as f:
                task = await official.embed.tasks.with_raw_response.create(
                    model_name="Marengo-retrieval-2.7", video_file=f
                )
            return task.data.dict(by_alias=True) | dict(task.data.__pydantic_extra__ or {})

        async def close() -> None:
            await official._client_wrapper.httpx_client.httpx_client.aclose()

    else:
        raise SystemExit(f"unknown mode {mode}")

    sampler = RssSampler()
    before = sampler._proc.memory_info().rss
    sampler.start()
    t0 = time.perf_counter()
    try:
        answer = await upload()
    finally:
        wall = time.perf_counter() - t0
        peak = sampler.stop()
        await close()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {
        "mode": mode,
        "wall": wall,
        "rss_before": before,
        "peak_sampled": peak,
        "ru_maxrss": maxrss,
        "rss_samples": sampler.samples,
        "received": int(answer.get("received", -1)),
    }


def child_main(mode: str, api_url: str, path: str) -> None:
    print(json.dumps(asyncio.run(_child_upload(mode, api_url, path))))


def run(report: Report, quick: bool, size_mb: float | None) -> None:
    os.environ.pop("TWELVELABS_BASE_URL", None)
    size = int((size_mb if size_mb is not None else (64 if quick else 500)) * MB)
    reps = 1 if quick else 5
    report.params.update(file_bytes=size, repetitions=reps, rss_sample_interval_s=0.01)
    group = f"upload {size / MB:.0f} MB"
    rows = {
        mode: Row(group, label, baseline=None if mode == "raw" else RAW)
        for mode, label in MODES.items()
    }
    details: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        path = os.path.join(tmp, "big.bin")
        with open(path, "wb") as f:
            f.truncate(size)  # sparse: no disk blocks, reads return zeros
        with LoopbackServer({}) as server:
            for _ in range(reps):
                for mode in MODES:
                    out = subprocess.run(
                        [sys.executable, "-m", "benchmarks.bench_upload", "--child", mode,
                         server.api_url, path],
                        capture_output=True, text=True, timeout=600, cwd=root, check=False,
                    )  # fmt: skip
                    if out.returncode != 0:
                        raise RuntimeError(f"upload child {mode} failed:\n{out.stderr[-3000:]}")
                    result = json.loads(out.stdout.strip().splitlines()[-1])
                    if not size <= result["received"] < size + 4096:
                        raise AssertionError(
                            f"{mode}: server received {result['received']} bytes for {size}"
                        )
                    details[mode].append(result)
                    rows[mode].samples.append(result["wall"])

    for mode, row in rows.items():
        runs = details[mode]
        med = {
            k: statistics.median(r[k] for r in runs)
            for k in ("rss_before", "peak_sampled", "ru_maxrss")
        }
        peak = max(med["peak_sampled"], med["ru_maxrss"])
        row.extra.update(
            {
                "MB/s": f"{size / MB / statistics.median(row.samples):.0f}",
                "RSS before": f"{med['rss_before'] / MB:.1f} MB",
                "peak RSS sampled": f"{med['peak_sampled'] / MB:.1f} MB",
                "ru_maxrss": f"{med['ru_maxrss'] / MB:.1f} MB",
                "peak growth": f"{(peak - med['rss_before']) / MB:+.1f} MB",
            }
        )
        if mode.startswith("ours-"):
            ok = peak / MB < RSS_TARGET_MB
            row.extra["RSS target"] = f"<{RSS_TARGET_MB:g} MB " + ("ok" if ok else "MISSED")
        row.data["runs"] = runs
        report.add(row)
    report.notes.append(
        "each repetition is a fresh client process (ru_maxrss only grows); RSS figures are "
        "medians over repetitions, MB = 10^6 bytes; peak = max(sampled every 10 ms, ru_maxrss)"
    )
    report.notes.append(
        "ratio = upload wall time / raw aiohttp wall time; the server (another process) drains "
        "the body and reports the byte count, which is checked"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child_main(*argv[1:4])
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_upload")
    parser.add_argument("--quick", action="store_true", help="a 64 MB file, one repetition")
    parser.add_argument("--size-mb", type=float, default=None, help="file size (default 500)")
    args = parser.parse_args(argv)
    report = Report(NAME, "upload: peak client RSS and throughput", quick=args.quick)
    run(report, args.quick, args.size_mb)
    report.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
