"""Hostile input to the assets and multipart routes: never a 5xx, never a file outside
the engine's own ``assets/`` folder, never a URL that points somewhere else."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from twelvelabs_embed.local.engine import LocalEngine

KEY = "tlk_hostile_assets"


@pytest.fixture
async def eng(tmp_path: Path) -> AsyncIterator[LocalEngine]:
    async with LocalEngine(
        data_dir=tmp_path / "data", api_key=KEY, workers=1, upload_chunk_size=1 << 20
    ) as e:
        yield e


async def _raw_http(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await reader.read(65536)
    writer.close()
    await writer.wait_closed()
    return data


async def test_file_names_never_become_paths(eng: LocalEngine, tmp_path: Path) -> None:
    async with aiohttp.ClientSession(headers={"x-api-key": KEY}) as s:
        for name in ("../../escape.mp4", "/etc/passwd", "..\\..\\x.mp4", "..", "x" * 300):
            form = aiohttp.FormData()
            form.add_field("method", "direct")
            form.add_field("file", b"\0" * 100, filename=name)
            r = await s.post(f"{eng.base_url}/assets", data=form)
            assert r.status in (201, 400), name
            up = await s.post(f"{eng.base_url}/assets/multipart-uploads",
                              json={"filename": name, "type": "video", "total_size": 10})  # fmt: skip
            assert up.status in (201, 400), name
    assert (
        not (tmp_path / "escape.mp4").exists() and not (tmp_path / "data" / "escape.mp4").exists()
    )
    files = {p.name for p in (eng.data_dir / "assets").iterdir()}
    assert all(len(f) == 24 for f in files), files


async def test_a_spoofed_host_header_is_refused_or_echoed_never_a_crash(eng: LocalEngine) -> None:
    body = b'{"filename":"a.mp4","type":"video","total_size":10}'
    for host in (b"evil.example:80", b"[::1", b"a b", b"%00"):
        answer = await _raw_http(eng.port, b"POST /v1.3/assets/multipart-uploads HTTP/1.1\r\nHost: " + host
                                 + b"\r\nx-api-key: " + KEY.encode() + b"\r\nContent-Type: application/json\r\n"
                                 + b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)  # fmt: skip
        status = int(answer.split(b" ", 2)[1])
        assert status in (201, 400), (host, answer[:200])


async def test_oversized_and_endless_bodies(eng: LocalEngine) -> None:
    async with aiohttp.ClientSession(headers={"x-api-key": KEY}) as s:
        r = await s.post(f"{eng.base_url}/assets/multipart-uploads", data=io.BytesIO(b"{" * (2 << 20)),
                         headers={"Content-Type": "application/json"})  # fmt: skip
        assert r.status == 413
        up = await (await s.post(f"{eng.base_url}/assets/multipart-uploads",
                                 json={"filename": "a.mp4", "type": "video", "total_size": 10})).json()  # fmt: skip

        async def endless() -> AsyncIterator[bytes]:
            for _ in range(64):
                yield b"\1" * 65536

        async with aiohttp.ClientSession() as raw:  # chunked: no length said in advance
            r = await raw.put(up["upload_urls"][0]["url"], data=endless())
            assert r.status == 400 and (await r.json())["code"] == "chunk_size_invalid"
            r = await raw.put(
                up["upload_urls"][0]["url"].replace("/chunks/1", "/chunks/99999999999999"),
                data=b"x",
            )
            assert r.status == 403
        status = await (
            await s.get(f"{eng.base_url}/assets/multipart-uploads/{up['upload_id']}")
        ).json()
        assert status["uploaded_chunks"][0]["status"] == "failed"
