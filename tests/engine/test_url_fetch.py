"""``video_url`` downloads: schemes, address policy (SSRF), redirects, size and time limits."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.local.url_fetch import (
    FetchFailed,
    GuardedResolver,
    UrlFetcher,
    address_problem,
)

from .conftest import form, wait_done

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    "addr",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1",
        "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::",
    ],
)  # fmt: skip
def test_forbidden_addresses(addr: str) -> None:
    assert address_problem(ipaddress.ip_address(addr)) is not None


@pytest.mark.parametrize("addr", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses(addr: str) -> None:
    assert address_problem(ipaddress.ip_address(addr)) is None


async def _fetch(url: str, dest: Path, **kw: object) -> int:
    async with UrlFetcher(**kw) as f:  # type: ignore[arg-type]
        return await f.fetch(url, dest)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/v.mp4", "gopher://x/", "http:///nohost"]
)
async def test_schemes_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(FetchFailed, match="only http"):
        await _fetch(url, tmp_path / "out", allow_private=True)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "169.254.169.254", "localhost"]
)
async def test_private_hosts_refused_by_default(
    tmp_path: Path, file_server: TestServer, host: str
) -> None:
    url = f"http://{host}:{file_server.port}/files/good"
    with pytest.raises(FetchFailed) as info:
        await _fetch(url, tmp_path / "out")
    message = info.value.message
    assert info.value.code == "parameter_invalid" and "--allow-private-urls" in message
    assert "allow_private_urls=True" in message
    if host == "localhost":  # says what the name resolved to, in one readable clause
        assert "localhost resolves to 127.0.0.1, a loopback address:" in message
    elif host == "127.0.0.1":
        assert "127.0.0.1 is 127.0.0.1, a loopback address" not in message
        assert "127.0.0.1, a loopback address:" in message
    assert not (tmp_path / "out").exists()


async def test_resolver_checks_every_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name with one public and one private address is refused (no partial trust)."""

    async def two(self, host, port=0, family=socket.AF_INET):  # type: ignore[no-untyped-def]
        return [
            {"hostname": host, "host": h, "port": port, "family": family, "proto": 0, "flags": 0}
            for h in ("93.184.216.34", "10.0.0.7")
        ]

    monkeypatch.setattr(aiohttp.ThreadedResolver, "resolve", two)
    resolver = GuardedResolver(allow_private=False)
    with pytest.raises(OSError, match=r"10\.0\.0\.7"):
        await resolver.resolve("rebind.test", 80)
    assert len(await GuardedResolver(allow_private=True).resolve("rebind.test", 80)) == 2


async def test_allowed_with_option(
    tmp_path: Path, file_server: TestServer, media: dict[str, Path]
) -> None:
    size = await _fetch(
        str(file_server.make_url("/files/good")), tmp_path / "out", allow_private=True
    )
    assert size == media["good"].stat().st_size == (tmp_path / "out").stat().st_size


async def test_redirects_followed_and_rechecked(tmp_path: Path, file_server: TestServer) -> None:
    ok = str(file_server.make_url("/redirect/3/good"))
    assert await _fetch(ok, tmp_path / "a", allow_private=True) > 0
    with pytest.raises(FetchFailed, match="more than 3 redirects"):
        await _fetch(
            str(file_server.make_url("/redirect/4/good")), tmp_path / "b", allow_private=True
        )
    with pytest.raises(FetchFailed, match="only http"):
        await _fetch(
            str(file_server.make_url("/to").with_query(url="file:///etc/passwd")),
            tmp_path / "c",
            allow_private=True,
        )


async def test_every_redirect_hop_is_checked(
    tmp_path: Path, file_server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pretend 127.0.0.1 is public and 127.0.0.2 is not: the bounce to .2 is refused."""
    from twelvelabs_embed.local import url_fetch

    monkeypatch.setattr(
        url_fetch, "address_problem", lambda ip: "forbidden" if str(ip) == "127.0.0.2" else None
    )
    direct = str(file_server.make_url("/redirect/1/good"))
    assert await _fetch(direct, tmp_path / "a") > 0  # the first hop passes the policy
    bounce = file_server.make_url("/to").with_query(
        url=f"http://127.0.0.2:{file_server.port}/files/good"
    )
    with pytest.raises(FetchFailed, match="forbidden"):
        await _fetch(str(bounce), tmp_path / "b")


async def test_size_limit(tmp_path: Path, file_server: TestServer) -> None:
    with pytest.raises(FetchFailed) as info:  # Content-Length known: refused before reading
        await _fetch(
            str(file_server.make_url("/files/good")),
            tmp_path / "a",
            allow_private=True,
            max_size=1000,
        )
    assert info.value.code == "video_filesize_too_large"
    with pytest.raises(FetchFailed) as info:  # chunked: cut off while streaming
        await _fetch(
            str(file_server.make_url("/big")), tmp_path / "b", allow_private=True, max_size=100_000
        )
    assert info.value.code == "video_filesize_too_large"
    assert not (tmp_path / "b").exists()


async def test_timeout_and_http_errors(tmp_path: Path, file_server: TestServer) -> None:
    with pytest.raises(FetchFailed, match="timed out"):
        await _fetch(
            str(file_server.make_url("/slow")), tmp_path / "a", allow_private=True, read_timeout=0.3
        )
    assert not (tmp_path / "a").exists()
    with pytest.raises(FetchFailed, match="HTTP 404"):
        await _fetch(str(file_server.make_url("/files/nope")), tmp_path / "b", allow_private=True)


# --- through the engine: the task fails with an `error` object ---------------------------


async def test_engine_refuses_loopback_url_by_default(
    tmp_path: Path, file_server: TestServer
) -> None:
    async with (
        LocalEngine(data_dir=tmp_path, workers=1) as eng,
        aiohttp.ClientSession(base_url=eng.base_url + "/") as s,
    ):
        url = str(file_server.make_url("/files/good"))
        async with s.post("embed/tasks", data=form(model_name="marengo3.0", video_url=url)) as r:
            assert r.status == 200
            task_id = (await r.json())["_id"]
        st = await wait_done(s, task_id)
        assert st["status"] == "failed"
        assert (
            st["error"]["code"] == "parameter_invalid"
            and "--allow-private-urls" in st["error"]["message"]
        )
        assert st["video_embedding"]["metadata"]["input_url"] == url
        async with s.get(f"embed/tasks/{task_id}") as r:
            body = await r.json()
        assert body["error"] == st["error"] and "segments" not in body["video_embedding"]


async def test_engine_url_task_failures(tmp_path: Path, file_server: TestServer) -> None:
    async with (
        LocalEngine(data_dir=tmp_path, workers=1, allow_private_urls=True) as eng,
        aiohttp.ClientSession(base_url=eng.base_url + "/") as s,
    ):
        codes = {}
        for name in ("garbage", "short", "audio_only", "nope"):
            url = str(file_server.make_url(f"/files/{name}"))
            async with s.post(
                "embed/tasks", data=form(model_name="marengo3.0", video_url=url)
            ) as r:
                codes[name] = (await r.json())["_id"]
        got = {n: (await wait_done(s, t))["error"]["code"] for n, t in codes.items()}
        assert got == {
            "garbage": "video_file_broken",
            "short": "video_duration_too_short",
            "audio_only": "video_file_broken",
            "nope": "parameter_invalid",
        }
        assert [p for p in (tmp_path / "media").iterdir()] == []
