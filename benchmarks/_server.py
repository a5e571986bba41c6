"""A loopback API server in its own process, answering with pre-built bytes.

The server costs the same for every client measured against it, and it does no work per
request beyond aiohttp's own: GET routes return a body serialised once, before the server
starts; ``POST /v1.3/embed/tasks`` reads the upload to the end, throws it away and answers
``{"_id": "task_upload", "received": <bytes>}`` so the client can check that the whole
file went out (every client keeps unknown fields). It listens on 127.0.0.1 only and exits by itself after
``max_lifetime`` seconds if nobody stops it.

    with LoopbackServer({"/v1.3/embed/tasks/t1/status": body}) as server:
        server.api_url  # "http://127.0.0.1:<port>/v1.3"
"""

from __future__ import annotations

import asyncio
import os
import pickle
import select
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

API_PREFIX = "/v1.3"
API_KEY = "tlk_bench"


def _run_server(routes_file: str, max_lifetime: float) -> None:
    """The child process: load the pre-built bodies, serve, stop when stdin closes."""
    with open(routes_file, "rb") as f:
        routes = pickle.load(f)
    os.unlink(routes_file)
    asyncio.run(_run(routes, max_lifetime))


async def _run(routes: Mapping[str, bytes], max_lifetime: float) -> None:
    from aiohttp import web

    bodies = dict(routes)
    json_headers = {"Content-Type": "application/json"}

    async def get(request: web.Request) -> web.Response:
        body = bodies.get(request.path)
        if body is None:
            return web.Response(status=404, body=b'{"code":"not_found"}', headers=json_headers)
        return web.Response(body=body, headers=json_headers)

    async def upload(request: web.Request) -> web.Response:
        received = 0
        while True:
            chunk = await request.content.readany()
            if not chunk:
                break
            received += len(chunk)
        body = b'{"_id":"task_upload","received":%d}' % received
        return web.Response(body=body, headers=json_headers)

    app = web.Application()
    app.router.add_post(f"{API_PREFIX}/embed/tasks", upload)
    app.router.add_get("/{tail:.*}", get)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    # The parent closing our stdin (or dying) is the stop signal.
    loop.add_reader(sys.stdin.fileno(), stopped.set)
    try:
        await asyncio.wait_for(stopped.wait(), max_lifetime)
    except asyncio.TimeoutError:
        pass
    finally:
        loop.remove_reader(sys.stdin.fileno())
        await runner.cleanup()


class LoopbackServer:
    """Start the server process (``python -m benchmarks._server``) on enter; stop it on exit."""

    def __init__(self, routes: Mapping[str, bytes], *, max_lifetime: float = 1800.0) -> None:
        self.routes = dict(routes)
        self.max_lifetime = max_lifetime
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    def start(self) -> LoopbackServer:
        fd, routes_file = tempfile.mkstemp(prefix="bench-routes-", suffix=".pickle")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(self.routes, f)
        root = Path(__file__).resolve().parents[1]
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._server", routes_file, str(self.max_lifetime)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=root,
        )
        assert self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], 30)
        line = self._proc.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError("the loopback server did not start within 30 s")
        self.port = int(line)
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def status_body(task_id: str = "task_status") -> bytes:
    """A ``status`` answer shaped like the platform's (spec example fields)."""
    import orjson

    return orjson.dumps(
        {
            "_id": task_id,
            "model_name": "Marengo-retrieval-2.7",
            "status": "ready",
            "video_embedding": {
                "metadata": {
                    "input_filename": "01.mp4",
                    "video_clip_length": 6,
                    "video_embedding_scope": ["clip", "video"],
                    "duration": 18.0,
                }
            },
        }
    )


def retrieve_body(
    task_id: str = "big600", segments: int = 600, dim: int = 1024, seed: int = 0
) -> bytes:
    """A ``retrieve`` answer with ``segments`` x ``dim`` floats, 8 decimals like the platform."""
    import numpy as np
    import orjson

    rng = np.random.default_rng(seed)
    vectors = np.round(rng.standard_normal((segments, dim)) * 0.05, 8).tolist()
    options = ("visual-text", "audio")
    segs = [
        {
            "float": vec,
            "start_offset_sec": float(6 * (i // 2)),
            "end_offset_sec": float(6 * (i // 2) + 6),
            "embedding_option": options[i % 2],
            "embedding_scope": "clip",
        }
        for i, vec in enumerate(vectors)
    ]
    return orjson.dumps(
        {
            "_id": task_id,
            "model_name": "Marengo-retrieval-2.7",
            "status": "ready",
            "created_at": "2024-09-26T10:29:19.968Z",
            "updated_at": "2024-09-26T10:31:02.123Z",
            "video_embedding": {
                "metadata": {
                    "input_filename": "long.mp4",
                    "video_clip_length": 6,
                    "video_embedding_scope": ["clip"],
                    "video_embedding_option": list(options),
                    "duration": 6.0 * segments / 2,
                },
                "segments": segs,
            },
        }
    )


if __name__ == "__main__":
    _run_server(sys.argv[1], float(sys.argv[2]))
