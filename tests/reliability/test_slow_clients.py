"""Slow, numerous and malformed HTTP clients against the engine (issue #20 items 7, 15).

Real sockets on 127.0.0.1: a client that trickles headers or a body, more connections than
the engine takes, requests aiohttp's parser refuses. The engine answers in JSON, closes
what is too slow, makes room for new clients, and logs an overload once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.reliability.engine_proc import KEY, EngineProcess
from twelvelabs_embed.local.engine import LocalEngine

pytestmark = pytest.mark.timeout(180)
MARK = "evil-marker-7f3a"


def raw(engine_port: int, data: bytes, *, timeout: float = 30) -> bytes:
    """Send ``data`` on a fresh connection and read one final answer (or until closed)."""
    with socket.create_connection(("127.0.0.1", engine_port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while not _complete(out) and (chunk := s.recv(65536)):
            out += chunk
        return out


def _complete(answer: bytes) -> bool:
    head, sep, body = answer.removeprefix(CONTINUE).partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if sep and line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def split(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the final answer (after any "100 Continue")."""
    answer = answer.removeprefix(CONTINUE)
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(api_key=KEY, workers=1, header_timeout_sec=1.0) as eng:
        yield eng


PARSER_ATTACKS = {
    "too many headers": b"GET /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\n"
    + b"".join(f"X-{i}: {MARK}\r\n".encode() for i in range(300))
    + b"\r\n",
    "header line too long": f"GET /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\nX-A: {MARK * 900}\r\n\r\n".encode(),
    "request line too long": f"GET /{MARK * 900} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    "not HTTP": f"\x16\x03\x01{MARK}\r\n\r\n".encode(),
    "bad header name": f"GET / HTTP/1.1\r\nHost: x\r\nBad Header{MARK}: 1\r\n\r\n".encode(),
}  # fmt: skip


@pytest.mark.parametrize("name", list(PARSER_ATTACKS))
def test_parser_errors_are_json_and_echo_nothing(engine: LocalEngine, name: str) -> None:
    status, headers, body = split(raw(engine.port, PARSER_ATTACKS[name]))
    assert status == 400, body
    assert headers["content-type"].startswith("application/json")
    parsed = json.loads(body)
    assert parsed["code"] == "bad_request" and parsed["message"], parsed
    assert MARK.encode() not in body


def test_a_connection_that_trickles_headers_is_closed(engine: LocalEngine) -> None:
    """One header byte at a time never completes a request within the header timeout."""
    with socket.create_connection(("127.0.0.1", engine.port), timeout=30) as s:
        s.sendall(b"GET /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\n")
        closed = False
        for _ in range(600):  # bounded; the engine closes after its 1 s header timeout
            try:
                s.sendall(b"X")
            except OSError:
                closed = True
                break
            s.settimeout(0.05)
            try:
                if s.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
        assert closed, "the engine kept a connection that never finished its headers"


def test_a_body_that_trickles_gets_408_and_leaves_no_file(tmp_path: Path) -> None:
    with LocalEngine(
        data_dir=tmp_path, api_key=KEY, workers=1, body_min_rate=2048, body_grace_sec=0.5
    ) as eng:
        head = (
            f"POST /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\nx-api-key: {KEY}\r\n"
            "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 100000\r\n\r\n"
            '--B\r\nContent-Disposition: form-data; name="video_file"; filename="v.mp4"\r\n\r\n'
        ).encode()
        with socket.create_connection(("127.0.0.1", eng.port), timeout=30) as s:
            s.sendall(head)
            answer = b""
            for _ in range(2000):  # a byte every 10 ms: 100 B/s, far under 2 KiB/s
                try:
                    s.sendall(b"\x00")
                except OSError:
                    break
                s.settimeout(0.01)
                with contextlib.suppress(TimeoutError):
                    chunk = s.recv(65536)
                    answer += chunk
                    if not chunk or b"}" in answer:
                        break
        status, _, body = split(answer)
        assert status == 408, answer
        assert json.loads(body)["code"] == "request_timeout"
        assert list((tmp_path / "media").glob("*.upload")) == []


def test_idle_connections_make_room_and_overload_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """8 connections allowed, 8 held open doing nothing: 20 new clients each still get
    their answer, and "connection limit" is logged once, not 20 times."""
    caplog.set_level(logging.WARNING)
    with (
        LocalEngine(api_key=KEY, workers=1, max_connections=8) as eng,
        contextlib.ExitStack() as stack,
    ):
        for _ in range(8):
            stack.enter_context(socket.create_connection(("127.0.0.1", eng.port), timeout=30))
        for _ in range(20):
            r = requests.get(f"{eng.base_url}/embed/tasks", headers={"x-api-key": KEY}, timeout=30)
            assert r.status_code == 200, r.text
        overload = [r for r in caplog.records if "connection limit" in r.getMessage()]
        assert len(overload) == 1, [r.getMessage() for r in overload]


def test_busy_connections_at_the_cap_answer_503() -> None:
    """When every connection has a request in flight there is nothing to close: a new
    client gets 503 JSON with Retry-After (which the SDKs retry)."""
    head = (
        f"POST /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\nx-api-key: {KEY}\r\n"
        "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 100000\r\n\r\n"
        '--B\r\nContent-Disposition: form-data; name="video_file"; filename="v.mp4"\r\n\r\n'
    ).encode()
    with (
        LocalEngine(api_key=KEY, workers=1, max_connections=2, body_grace_sec=600) as eng,
        contextlib.ExitStack() as stack,
    ):
        for _ in range(2):
            s = stack.enter_context(socket.create_connection(("127.0.0.1", eng.port), timeout=30))
            s.sendall(head + b"\x00" * 100)
        deadline = time.monotonic() + 30
        # Both must be in flight: one still waiting for its headers to be read looks idle,
        # and the engine would close it to make room for the new client.
        while len(list((eng.data_dir / "media").glob("*.upload"))) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        status, headers, body = split(raw(eng.port, b"GET /v1.3/embed/tasks HTTP/1.1\r\n\r\n"))
        assert status == 503 and headers["retry-after"] == "1", body
        assert json.loads(body)["code"] == "service_unavailable"


def test_more_slow_connections_than_open_files(tmp_path: Path) -> None:
    """The way it was found: an engine with a 256-descriptor limit, 400 connections that
    trickle headers. The engine still answers a real client, and its log holds the
    overload once instead of a traceback per accept."""
    log = tmp_path / "engine.log"
    e = EngineProcess(tmp_path / "data", nofile=256, log_path=log)
    try:
        socks: list[socket.socket] = []
        try:
            for _ in range(400):
                s = socket.create_connection(("127.0.0.1", e.port), timeout=30)
                with contextlib.suppress(OSError):
                    s.sendall(b"GET /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\n")
                socks.append(s)
            r = e.session.get(f"{e.base_url}/embed/tasks", timeout=30)
            assert r.status_code == 200, r.text
        finally:
            for s in socks:
                s.close()
    finally:
        e.stop()
    text = log.read_text()
    assert text.count("connection limit") == 1, text[-2000:]
    assert "Too many open files" not in text and "Traceback" not in text, text[-2000:]


# --- item 10: bodies refused before they are read ----------------------------------------


def _upload_head(length: int, *, expect: bool, key: str = KEY) -> bytes:
    return (
        f"POST /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\n"
        f"Content-Type: multipart/form-data; boundary=B\r\nContent-Length: {length}\r\n"
        + ("Expect: 100-continue\r\n" if expect else "")
        + "\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("expect", "key", "status", "code"),
    [
        (True, KEY, 400, "video_filesize_too_large"),
        (False, KEY, 400, "video_filesize_too_large"),
        (True, "wrong", 401, "api_key_invalid"),
    ],
)
def test_a_declared_100_gb_body_is_refused_before_any_byte(
    engine: LocalEngine, expect: bool, key: str, status: int, code: str
) -> None:
    """The client sends only the headers (100 GB declared) and reads: the final answer
    comes without a "100 Continue" and without a byte of body sent."""
    answer = raw(engine.port, _upload_head(100 * 1024**3, expect=expect, key=key))
    assert not answer.startswith(b"HTTP/1.1 100"), answer
    got, _, body = split(answer)
    assert got == status and json.loads(body)["code"] == code, answer


def test_a_small_body_with_expect_is_invited_and_accepted(engine: LocalEngine) -> None:
    form = (
        b'--B\r\nContent-Disposition: form-data; name="model_name"\r\n\r\nmarengo3.0\r\n'
        b'--B\r\nContent-Disposition: form-data; name="video_url"\r\n\r\nhttps://example.invalid/v.mp4\r\n'
        b"--B--\r\n"
    )
    with socket.create_connection(("127.0.0.1", engine.port), timeout=30) as s:
        s.sendall(_upload_head(len(form), expect=True))
        assert s.recv(len(CONTINUE)) == CONTINUE, "no invitation"
        s.sendall(form)
        answer = b""
        while b"}" not in answer and (chunk := s.recv(65536)):
            answer += chunk
    got, _, body = split(answer)
    assert got == 200 and "_id" in json.loads(body), answer


def test_uploads_in_flight_share_a_disk_budget(tmp_path: Path) -> None:
    """1 MB of disk for uploads in flight: one 800 KB upload in progress, a second that
    declares 800 KB is refused with 503 at once; once the first ends the second fits."""
    with (
        LocalEngine(
            data_dir=tmp_path, api_key=KEY, workers=1, upload_space_bytes=1_000_000,
            body_grace_sec=600,
        ) as eng,
        socket.create_connection(("127.0.0.1", eng.port), timeout=30) as first,
    ):  # fmt: skip
        part = b'--B\r\nContent-Disposition: form-data; name="video_file"; filename="v.mp4"\r\n\r\n'
        first.sendall(_upload_head(800_000, expect=False) + part + b"\x00" * 1000)
        deadline = time.monotonic() + 30
        while not list((tmp_path / "media").glob("*.upload")):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        answer = raw(eng.port, _upload_head(800_000, expect=True))
        assert not answer.startswith(CONTINUE), answer  # refused instead of invited
        status, _, body = split(answer)
        assert status == 503 and json.loads(body)["code"] == "service_unavailable", body
        first.close()
        deadline = time.monotonic() + 30
        while True:  # the first request's reservation is released when it ends
            answer = raw(eng.port, _upload_head(800_000, expect=True) + b"--B--\r\n")
            if split(answer)[0] != 503:
                break
            assert time.monotonic() < deadline, answer
            time.sleep(0.05)
