"""Asset upload bodies refused before they are read (issue #20 item 10, asset routes), and
counted with the disk all uploads in flight share (issue #14).

``POST /assets``, the multipart JSON routes and the presigned chunk ``PUT`` used to get
aiohttp's own expect handler: a client that declared 100 GB was answered "100 Continue"
and its bytes were read until the handler refused them. Each route now checks its
credential and its own limit on the headers alone. Real sockets on 127.0.0.1, as
``test_slow_clients.py`` does: the client sends only the headers and reads the answer.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.reliability.engine_proc import KEY
from tests.reliability.test_slow_clients import CONTINUE, raw, split
from twelvelabs_embed.local.app_keys import UPLOAD_SPACE
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.rules import assets as rules

pytestmark = pytest.mark.timeout(120)
HUGE = 100 * 1024**3


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(api_key=KEY, workers=1) as eng:
        yield eng


def head(method: str, target: str, length: int, *, expect: bool, key: str | None = KEY,
         content_type: str = "multipart/form-data; boundary=B") -> bytes:  # fmt: skip
    lines = [f"{method} {target} HTTP/1.1", "Host: x", f"Content-Type: {content_type}",
             f"Content-Length: {length}"]  # fmt: skip
    if key is not None:
        lines.append(f"x-api-key: {key}")
    if expect:
        lines.append("Expect: 100-continue")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def refused(engine: LocalEngine, request: bytes) -> tuple[int, str]:
    """The final answer to headers alone: never an invitation to send the body."""
    answer = raw(engine.port, request)
    assert not answer.startswith(b"HTTP/1.1 100"), answer
    status, _, body = split(answer)
    return status, json.loads(body)["code"]


@pytest.fixture(scope="module")
def upload(engine: LocalEngine) -> dict[str, Any]:
    """A multipart upload of two chunks; its presigned chunk URLs point at the engine."""
    size = rules.DEFAULT_CHUNK_SIZE + 1000
    body = {"filename": "v.mp4", "type": "video", "total_size": size}
    r = requests.post(
        f"{engine.base_url}/assets/multipart-uploads", json=body, headers={"x-api-key": KEY}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def chunk_target(upload: dict[str, Any], index: int) -> str:
    url = urlsplit(next(u["url"] for u in upload["upload_urls"] if u["chunk_index"] == index))
    return f"{url.path}?{url.query}"


@pytest.mark.parametrize("expect", [True, False])
def test_a_direct_asset_over_its_limit_is_refused_before_any_byte(
    engine: LocalEngine, expect: bool
) -> None:
    status, code = refused(engine, head("POST", "/v1.3/assets", HUGE, expect=expect))
    assert (status, code) == (400, "asset_filesize_too_large")


def test_a_direct_asset_without_the_key_is_refused_before_any_byte(engine: LocalEngine) -> None:
    assert refused(engine, head("POST", "/v1.3/assets", 1000, expect=True, key="wrong")) == (
        401,
        "api_key_invalid",
    )


@pytest.mark.parametrize(
    "path", ["/v1.3/assets/multipart-uploads", "/v1.3/assets/multipart-uploads/x/presigned-urls"]
)
@pytest.mark.parametrize("expect", [True, False])
def test_json_routes_refuse_a_declared_huge_body(
    engine: LocalEngine, path: str, expect: bool
) -> None:
    request = head("POST", path, HUGE, expect=expect, content_type="application/json")
    assert refused(engine, request) == (413, "request_too_large")


@pytest.mark.parametrize("expect", [True, False])
def test_a_chunk_put_declaring_more_than_its_chunk_is_refused_before_any_byte(
    engine: LocalEngine, upload: dict[str, Any], expect: bool
) -> None:
    target = chunk_target(upload, 1)
    request = head("PUT", target, HUGE, expect=expect, key=None, content_type="video/mp4")
    assert refused(engine, request) == (400, "chunk_size_invalid")


def test_a_chunk_put_with_a_bad_signature_is_refused_before_any_byte(
    engine: LocalEngine, upload: dict[str, Any]
) -> None:
    target = chunk_target(upload, 2).replace("signature=", "signature=0")
    request = head("PUT", target, 1000, expect=True, key=None, content_type="video/mp4")
    assert refused(engine, request)[0] == 403


def test_a_chunk_put_of_the_right_size_is_invited_and_stored(
    engine: LocalEngine, upload: dict[str, Any]
) -> None:
    target = chunk_target(upload, 2)
    with socket.create_connection(("127.0.0.1", engine.port), timeout=30) as s:
        s.sendall(head("PUT", target, 1000, expect=True, key=None, content_type="video/mp4"))
        assert s.recv(len(CONTINUE)) == CONTINUE, "no invitation"
        s.sendall(b"\x01" * 1000)
        answer = b""
        while b"\r\n\r\n" not in answer and (piece := s.recv(65536)):
            answer += piece
    status, headers, _ = split(answer)
    assert status == 200 and headers["etag"].strip('"'), answer


# --- issue #14: asset uploads count against the disk uploads in flight share ---------


def wait_in_use(engine: LocalEngine, at_least: int, at_most: int | None = None) -> None:
    """Until the engine's uploads in flight hold between ``at_least`` and ``at_most`` bytes
    (a safety-net deadline only: the condition is what the test waits for)."""
    assert engine.app is not None
    space = engine.app[UPLOAD_SPACE]
    deadline = time.monotonic() + 60
    while not (at_least <= space.in_use and (at_most is None or space.in_use <= at_most)):
        assert time.monotonic() < deadline, space.in_use
        time.sleep(0.01)


def test_a_direct_asset_upload_in_flight_holds_its_share_of_the_disk(tmp_path: Path) -> None:
    """1 MB for uploads in flight: an 800 KB direct upload in progress, a second that
    declares 800 KB is refused with 503 before its body; once the first ends it fits."""
    part = b'--B\r\nContent-Disposition: form-data; name="file"; filename="v.mp4"\r\n\r\n'
    with (
        LocalEngine(data_dir=tmp_path, api_key=KEY, workers=1, upload_space_bytes=1_000_000,
                    body_grace_sec=600) as eng,
        socket.create_connection(("127.0.0.1", eng.port), timeout=30) as first,
    ):  # fmt: skip
        first.sendall(head("POST", "/v1.3/assets", 800_000, expect=False) + part + b"\0" * 1000)
        wait_in_use(eng, 800_000)
        for expect in (True, False):  # never invited, with Expect or without
            assert refused(eng, head("POST", "/v1.3/assets", 800_000, expect=expect)) == (
                503,
                "service_unavailable",
            )
        first.close()
        wait_in_use(eng, 0, 0)
        again = raw(eng.port, head("POST", "/v1.3/assets", 800_000, expect=True) + b"--B--\r\n")
        assert split(again)[0] == 400, again  # past the disk check: the form has no method


def test_a_chunk_put_in_flight_holds_its_share_of_the_disk(tmp_path: Path) -> None:
    """10 MB for uploads in flight: one 8 MiB chunk in progress, the next chunk's PUT is
    refused with 503; once the first ends, the second is stored."""
    chunk = rules.DEFAULT_CHUNK_SIZE
    with LocalEngine(
        data_dir=tmp_path, api_key=KEY, workers=1, upload_space_bytes=10_000_000,
        body_grace_sec=600,
    ) as eng:  # fmt: skip
        r = requests.post(
            f"{eng.base_url}/assets/multipart-uploads",
            json={"filename": "v.mp4", "type": "video", "total_size": 2 * chunk},
            headers={"x-api-key": KEY},
        )
        assert r.status_code == 201, r.text
        up = r.json()
        with socket.create_connection(("127.0.0.1", eng.port), timeout=30) as first:
            first.sendall(
                head("PUT", chunk_target(up, 1), chunk, expect=False, key=None,
                     content_type="video/mp4") + b"\1" * 1000
            )  # fmt: skip
            wait_in_use(eng, chunk)
            second = head("PUT", chunk_target(up, 2), chunk, expect=False, key=None,
                          content_type="video/mp4")  # fmt: skip
            invited = head("PUT", chunk_target(up, 2), chunk, expect=True, key=None,
                           content_type="video/mp4")  # fmt: skip
            for request in (second, invited):  # never invited, with Expect or without
                assert refused(eng, request) == (503, "service_unavailable")
        wait_in_use(eng, 0, 0)
        with socket.create_connection(("127.0.0.1", eng.port), timeout=30) as s:
            s.sendall(second + b"\2" * chunk)
            answer = b""
            while b"\r\n\r\n" not in answer and (piece := s.recv(65536)):
                answer += piece
        assert split(answer)[0] == 200, answer
