"""Odd upload sources and a server that stops reading: clear errors, never a hang."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
from pathlib import Path

import pytest

import twelvelabs_embed as tl
from tests.client.conftest import make_client
from tests.engine_double import EngineDouble
from tests.fakeplatform import FakePlatform
from twelvelabs_embed._upload import UploadError


async def test_a_server_that_stops_reading_times_out_the_upload(tmp_path: Path) -> None:
    """aiohttp's read timeout starts only after the body: the write itself must be bounded."""
    accepted: list[asyncio.StreamWriter] = []

    async def never_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    path = tmp_path / "big.mp4"
    with open(path, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    try:
        async with tl.AsyncTwelveLabs(
            "k",
            base_url=f"http://127.0.0.1:{port}/v1.3",
            timeout=0.5,
            max_retries=0,
            preflight=False,
        ) as client:
            # The client's own write timeout ends it (ApiTimeoutError); the 20 s guard
            # would raise a plain TimeoutError, which does not match.
            with pytest.raises(tl.ApiTimeoutError):
                await asyncio.wait_for(client.embed.tasks.create("marengo3.0", video_file=path), 20)
    finally:
        for w in accepted:
            w.close()
        server.close()
        await server.wait_closed()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
async def test_a_named_pipe_is_refused_without_blocking(
    double: EngineDouble, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    async with make_client(double) as client:
        with pytest.raises(ValueError, match="not a regular file"):
            await asyncio.wait_for(client.embed.tasks.create("marengo3.0", video_file=fifo), 5)
    assert await double.requests() == []


async def test_a_gzip_stream_sends_its_uncompressed_bytes(
    double: EngineDouble, tmp_path: Path, clip: bytes
) -> None:
    path = tmp_path / "v.mp4.gz"
    with gzip.open(path, "wb") as f:
        f.write(clip)
    await double.control.lifecycle.set("manual")  # the upload is what counts, not vectors
    async with make_client(double, preflight=False) as client:
        with gzip.open(path, "rb") as f:
            await client.embed.tasks.create("marengo3.0", video_file=f)  # type: ignore[arg-type]
    (req,) = await double.requests()
    assert req.status == 200 and req.upload is not None
    assert (req.upload.size, req.upload.sha256) == (len(clip), hashlib.sha256(clip).hexdigest())


async def test_a_file_that_grows_during_upload_is_an_upload_error_not_retried(
    double: EngineDouble, tmp_path: Path
) -> None:
    path = tmp_path / "growing.mp4"
    path.write_bytes(b"x" * 3_000_000)
    calls = 0

    def grow(sent: int, total: int | None) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            with open(path, "ab") as f:
                f.write(b"y" * 1000)

    async with make_client(double, preflight=False, max_retries=3) as client:
        with pytest.raises(UploadError, match="changed size"):
            await client.embed.tasks.create("marengo3.0", video_file=path, on_upload_progress=grow)
    creates = await double.requests("create_task")
    assert len(creates) <= 1 and all(r.task_id is None for r in creates)


async def test_a_filename_that_is_not_utf8_still_uploads(
    fake: FakePlatform, tmp_path: Path
) -> None:
    path = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b'/bad\xff"\r\nname.mp4'))
    path.write_bytes(b"data")
    async with make_client(fake, preflight=False) as client:
        task = await client.embed.tasks.create("marengo3.0", video_file=path)
    assert task.id in fake.tasks
    (req,) = fake.requests
    assert b'filename="bad?%22%0D%0Aname.mp4"' in req.body


@pytest.mark.parametrize("task_id", [".", ".."])
async def test_dot_ids_are_refused_before_a_request(double: EngineDouble, task_id: str) -> None:
    async with make_client(double) as client:
        with pytest.raises(ValueError, match="task_id"):
            await client.embed.tasks.retrieve(task_id)
    assert await double.requests() == []
