"""Hostile input to the engine: fuzzed form fields and query parameters (hypothesis),
path-traversal file names, huge and malformed multipart bodies, bad task ids, bad keys,
and ``video_url`` forms that name this machine or a private network.

Every answer must be a JSON ``{"code", "message"}`` 4xx or a correct 2xx, never a 5xx,
and the engine must keep serving afterwards. The engine runs in a thread on 127.0.0.1;
``video_url`` downloads are stubbed out except in the private-address tests, where a
loopback file server counts hits and must see none.
"""

from __future__ import annotations

import functools
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.conftest import OfflineFetcher
from tests.videos import make_video
from twelvelabs_embed import video_rules
from twelvelabs_embed.local.app_keys import DOWNLOADS
from twelvelabs_embed.local.engine import LocalEngine

pytestmark = pytest.mark.timeout(120)

KEY = "tlk_hostile"
HEX24 = "0123456789abcdef"
KNOWN_CODES = {
    "parameter_invalid",
    "parameter_not_provided",
    "parameter_unknown",
    "content_type_invalid",
    "video_file_broken",
    "video_filesize_too_large",
    "resource_not_exist",
    "api_key_invalid",
    "not_found",
    "method_not_allowed",
    "request_too_large",
    "video_duration_too_short",
    "video_resolution_too_low",
    "video_resolution_invalid_aspect_ratio",
}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    root = tmp_path_factory.mktemp("hostile")
    with LocalEngine(data_dir=root / "data", api_key=KEY, workers=1) as eng:
        assert eng.app is not None
        eng.app[DOWNLOADS]._fetcher = OfflineFetcher()  # type: ignore[assignment]
        yield eng


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("hostile-media") / "v.mp4"
    return make_video(path, width=480, height=360, duration=4.5, fps=8).read_bytes()


def url(engine: LocalEngine, path: str) -> str:
    return f"{engine.base_url}/{path}"


def assert_refusal(r: requests.Response, *statuses: int) -> dict[str, Any]:
    """A JSON platform error with one of ``statuses`` (any 4xx when none given)."""
    assert r.status_code < 500, r.text
    assert (r.status_code in statuses) if statuses else (400 <= r.status_code < 500), r.text
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    body: dict[str, Any] = r.json()
    assert set(body) == {"code", "message"} and body["code"] in KNOWN_CODES, body
    return body


def still_serving(engine: LocalEngine) -> None:
    r = requests.get(url(engine, "embed/tasks"), headers={"x-api-key": KEY}, timeout=10)
    assert r.status_code == 200, r.text


def media_files(engine: LocalEngine) -> list[Path]:
    return sorted((engine.data_dir / "media").iterdir())


def raw(
    engine: LocalEngine, data: bytes, *, shut_write: bool = False, timeout: float = 10
) -> bytes:
    """Send raw bytes to the engine and read until it closes (or ``timeout``)."""
    with socket.create_connection(("127.0.0.1", engine.port), timeout=timeout) as s:
        s.sendall(data)
        if shut_write:
            s.shutdown(socket.SHUT_WR)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out and not shut_write:
                head, _, body = out.partition(b"\r\n\r\n")
                length = [
                    int(h.split(b":")[1])
                    for h in head.split(b"\r\n")
                    if h.lower().startswith(b"content-length:")
                ]
                if length and len(body) >= length[0]:
                    break
        return out


def raw_status(response: bytes) -> int:
    assert response.startswith((b"HTTP/1.1 ", b"HTTP/1.0 ")), response[:200]
    return int(response[9:12])


# --- fuzzed parameters -------------------------------------------------------------------

_number_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["", " ", "6", "6.0", "1e309", "-0", "0x10", "١٢", "6 ", "NaN", "inf", "6,5"]),
    st.text(max_size=20),
)
_field = st.sampled_from(
    [
        "model_name",
        "video_url",
        "video_start_offset_sec",
        "video_end_offset_sec",
        "video_clip_length",
        "video_embedding_scope",
        "video_file",
        "unknown_field",
        "",
    ]
)
_value = st.one_of(
    _number_text,
    st.sampled_from(
        ["marengo3.0", "Marengo-retrieval-2.7", "clip", "video", "http://videos.example.test/v.mp4"]
    ),
    st.text(max_size=200),
)


@FUZZ
@given(parts=st.lists(st.tuples(_field, _value), max_size=12))
def test_fuzzed_create_form(
    engine: LocalEngine, api: requests.Session, parts: list[tuple[str, str]]
) -> None:
    """Any mix of fields, repeats and values: 200 with an id, or a platform 400."""
    files = [(name, (None, value.encode("utf-8", "surrogatepass"))) for name, value in parts]
    files.insert(0, ("model_name", (None, b"marengo3.0")))
    r = api.post(url(engine, "embed/tasks"), files=files, timeout=30)
    if r.status_code == 200:
        body = r.json()
        assert set(body) == {"_id"} and not video_rules.check_task_id(body["_id"])
    else:
        assert_refusal(r, 400)


@FUZZ
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(["page", "page_limit", "status", "started_at", "ended_at", "other"]),
            st.one_of(
                _number_text, st.datetimes().map(lambda d: d.isoformat()), st.text(max_size=40)
            ),
        ),
        max_size=6,
    )
)
def test_fuzzed_list_query(
    engine: LocalEngine, api: requests.Session, params: list[tuple[str, str]]
) -> None:
    r = api.get(url(engine, "embed/tasks"), params=params, timeout=30)
    if r.status_code == 200:
        info = r.json()["page_info"]
        assert 1 <= info["limit_per_page"] <= video_rules.MAX_PAGE_LIMIT
    else:
        assert_refusal(r, 400)


@FUZZ
@given(
    options=st.lists(
        st.one_of(st.sampled_from(video_rules.ALL_EMBEDDING_OPTIONS), st.text(max_size=20)),
        max_size=5,
    )
)
def test_fuzzed_embedding_option(
    engine: LocalEngine, api: requests.Session, options: list[str]
) -> None:
    r = api.get(
        url(engine, "embed/tasks/66419a20c70bb578439bd8f4"),
        params=[("embedding_option", o) for o in options],
        timeout=30,
    )
    assert_refusal(r, 400, 404)


@FUZZ
@given(body=st.binary(max_size=2048), boundary=st.sampled_from(["XX", "----b", "a" * 70, "é"]))
def test_fuzzed_multipart_bytes(
    engine: LocalEngine, api: requests.Session, body: bytes, boundary: str
) -> None:
    """Random bytes under a multipart content type, sometimes framed like a real form."""
    framed = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model_name"\r\n\r\n'.encode() + body
    )
    for payload in (body, framed):
        r = api.post(
            url(engine, "embed/tasks"),
            data=payload,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            timeout=30,
        )
        assert_refusal(r, 400)


# --- file names ---------------------------------------------------------------------------

TRAVERSAL_NAMES = [
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/shadow",
    "C:\\Windows\\System32\\x.mp4",
    "a/../../b.mp4",
    "..",
    ".",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "clip.mp4\x00.txt",
    "line\r\nX-Injected: 1.mp4",
    "ünïcødé 🎬.mp4",
    "x" * 5000 + ".mp4",
    "",
    "media/../../tasks.sqlite3",
]


@pytest.mark.parametrize("name", TRAVERSAL_NAMES)
def test_path_traversal_file_names(
    engine: LocalEngine, api: requests.Session, video: bytes, name: str
) -> None:
    """The name is only ever shown back, as a safe base name; the bytes land under the
    engine's own name inside ``media/``, and nothing appears outside it."""
    before = {p for p in engine.data_dir.parent.rglob("*")}
    r = api.post(
        url(engine, "embed/tasks"),
        files=[("model_name", (None, "marengo3.0")), ("video_file", (name, video, "video/mp4"))],
        timeout=30,
    )
    # a header with control characters may be refused outright by the parser
    if any(c in name for c in "\x00\r\n") and r.status_code == 400:
        assert_refusal(r, 400)
        assert {p for p in engine.data_dir.parent.rglob("*")} <= before | {
            engine.data_dir / "tasks.sqlite3-shm",
            engine.data_dir / "tasks.sqlite3-wal",
        }
        return
    assert r.status_code == 200, r.text
    task_id = r.json()["_id"]
    md = api.get(url(engine, f"embed/tasks/{task_id}/status"), timeout=10).json()[
        "video_embedding"
    ]["metadata"]
    shown = md["input_filename"]
    assert "/" not in shown and "\\" not in shown and shown not in ("..", ".")
    assert not any(c in shown for c in "\x00\r\n") and len(shown) <= 255
    created = {p for p in engine.data_dir.parent.rglob("*")} - before
    for p in created:
        assert p.parent == engine.data_dir / "media" or p.parent == engine.data_dir, p
        assert p.name.startswith(task_id) or p.name.startswith("tasks.sqlite3"), p


def test_filename_star_and_odd_dispositions(engine: LocalEngine) -> None:
    """RFC 5987 ``filename*``, a bad percent-encoding, and no name at all."""
    before = set(media_files(engine))
    for disposition in (
        "form-data; name=\"video_file\"; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd",
        "form-data; name=\"video_file\"; filename*=UTF-8''%FF%FE%00",
        "form-data; name=\"video_file\"; filename*=bogus''x",
        'form-data; name="video_file"; filename="a"; filename="../b"',
        'form-data; filename="../x.mp4"',
        "attachment",
        "",
    ):
        body = (
            b'--B\r\nContent-Disposition: form-data; name="model_name"\r\n\r\nmarengo3.0\r\n'
            + f"--B\r\nContent-Disposition: {disposition}\r\nContent-Type: video/mp4\r\n\r\n".encode()
            + b"\x00" * 1000
            + b"\r\n--B--\r\n"
        )
        r = requests.post(
            url(engine, "embed/tasks"),
            data=body,
            headers={"x-api-key": KEY, "Content-Type": "multipart/form-data; boundary=B"},
            timeout=30,
        )
        assert_refusal(r, 400)
    assert set(media_files(engine)) <= before


# --- sizes and counts -----------------------------------------------------------------------


def test_too_many_parts_and_huge_fields(engine: LocalEngine, api: requests.Session) -> None:
    many = [("video_embedding_scope", (None, "clip"))] * 1000
    assert_refusal(
        api.post(
            url(engine, "embed/tasks"),
            files=[("model_name", (None, "marengo3.0")), *many],
            timeout=30,
        ),
        400,
    )
    huge_url = "http://videos.example.test/" + "a" * (70 * 1024)
    r = api.post(
        url(engine, "embed/tasks"),
        files=[("model_name", (None, "marengo3.0")), ("video_url", (None, huge_url))],
        timeout=30,
    )
    assert "longer than" in assert_refusal(r, 400)["message"]
    still_serving(engine)


@pytest.mark.parametrize(
    "request_bytes",
    [
        # one request header line of 200 KB
        b"GET /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\nx-api-key: " + b"k" * 200_000 + b"\r\n\r\n",
        # 500 header lines
        b"GET /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(500)) + b"\r\n",
        # a request line of 100 KB
        b"GET /v1.3/embed/tasks/" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        # a part header of 200 KB inside a multipart body
        b"POST /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\nx-api-key: " + KEY.encode()
        + b"\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 200100\r\n\r\n"
        + b"--B\r\nContent-Disposition: form-data; name=\"" + b"n" * 200_000 + b"\"\r\n\r\nv\r\n--B--\r\n",
        # not HTTP at all
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) * 4,
        # a non-UTF-8 key
        b"GET /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\nx-api-key: \xff\xfe\x80\r\n\r\n",
    ],
    ids=["header-200KB", "500-headers", "request-line-100KB", "part-header-200KB", "tls-hello", "latin1-key"],
)  # fmt: skip
def test_oversized_and_binary_requests(engine: LocalEngine, request_bytes: bytes) -> None:
    response = raw(engine, request_bytes)
    if response:  # aiohttp may also just close the connection on garbage
        assert 400 <= raw_status(response) < 500, response[:300]
    still_serving(engine)


def test_body_shorter_than_its_content_length(engine: LocalEngine) -> None:
    """A client that announces 10 MB, sends 1 MB and stops: the upload is cut, its file is
    removed, and the engine keeps serving."""
    head = (
        b"POST /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\nx-api-key: " + KEY.encode()
        + b"\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 10000000\r\n\r\n"
        + b'--B\r\nContent-Disposition: form-data; name="model_name"\r\n\r\nmarengo3.0\r\n'
        + b'--B\r\nContent-Disposition: form-data; name="video_file"; filename="v.mp4"\r\n\r\n'
    )  # fmt: skip
    before = set(media_files(engine))
    raw(engine, head + b"\x00" * 1_000_000, shut_write=True, timeout=5)
    deadline = time.monotonic() + 60  # a hang guard
    while not set(media_files(engine)) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(media_files(engine)) <= before
    still_serving(engine)


MALFORMED = {
    "no-closing-boundary": b'--B\r\nContent-Disposition: form-data; name="model_name"\r\n\r\nmarengo3.0\r\n',
    "wrong-boundary": b'--C\r\nContent-Disposition: form-data; name="model_name"\r\n\r\nmarengo3.0\r\n--C--\r\n',
    "no-disposition": b"--B\r\nContent-Type: text/plain\r\n\r\nmarengo3.0\r\n--B--\r\n",
    "nested-multipart": b"--B\r\nContent-Disposition: form-data; name=\"x\"\r\nContent-Type: multipart/mixed; boundary=C\r\n\r\n--C\r\n\r\nx\r\n--C--\r\n--B--\r\n",
    "bad-charset": b'--B\r\nContent-Disposition: form-data; name="model_name"\r\nContent-Type: text/plain; charset=klingon\r\n\r\nmarengo3.0\r\n--B--\r\n',
    "not-utf8-text": b'--B\r\nContent-Disposition: form-data; name="model_name"\r\n\r\n\xff\xfe\xfd\r\n--B--\r\n',
    "base64-transfer": b'--B\r\nContent-Disposition: form-data; name="model_name"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64\r\n--B--\r\n',
    "gzip-part": b'--B\r\nContent-Disposition: form-data; name="model_name"\r\nContent-Encoding: gzip\r\n\r\nnot gzip\r\n--B--\r\n',
    "only-epilogue": b"--B--\r\n",
    "empty": b"",
    "headers-never-end": b'--B\r\nContent-Disposition: form-data; name="model_name"\r\n' + b"X: y\r\n" * 2000,
}  # fmt: skip


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_multipart(engine: LocalEngine, api: requests.Session, name: str) -> None:
    r = api.post(
        url(engine, "embed/tasks"),
        data=MALFORMED[name],
        headers={"Content-Type": "multipart/form-data; boundary=B"},
        timeout=30,
    )
    assert_refusal(r, 400)


def test_wrong_content_types(engine: LocalEngine, api: requests.Session) -> None:
    for ctype, data in (
        ("application/json", b'{"model_name": "marengo3.0", "video_url": "http://x.test/v.mp4"}'),
        (
            "application/x-www-form-urlencoded",
            b"model_name=marengo3.0&video_url=http%3A%2F%2Fx.test%2Fv.mp4",
        ),
        ("text/plain", b"hello"),
        ("multipart/form-data", b"--B\r\n\r\n--B--"),  # no boundary parameter
        ("multipart/mixed; boundary=B", b"--B--\r\n"),
        ("video/mp4", b"\x00" * 100),
    ):
        assert_refusal(
            api.post(
                url(engine, "embed/tasks"), data=data, headers={"Content-Type": ctype}, timeout=30
            ),
            400,
        )


# --- ids and keys -------------------------------------------------------------------------

BAD_IDS = [
    "abc", "a%2Fb", "a/b", "66419a20c70bb578439bd8f%3F", "66419a20c70bb578439bd8f?",
    "66419a20c70bb578439bd8f4%2F..%2F..", "..%2F..%2Fopenapi.json", "%00" * 8, "%2e%2e",
    "66419A20C70BB578439BD8F4", "x" * 24, "6" * 4000, "%F0%9F%8E%AC" * 6, "66419a20c70bb578439bd8f4%20",
    "%2566419a20c70bb578439bd8f4", "66419a20c70bb578439bd8f4;x=1", "",
]  # fmt: skip


@pytest.mark.parametrize("raw_id", BAD_IDS)
@pytest.mark.parametrize("suffix", ["", "/status"])
def test_bad_task_ids(engine: LocalEngine, raw_id: str, suffix: str) -> None:
    request = f"GET /v1.3/embed/tasks/{raw_id}{suffix} HTTP/1.1\r\nHost: x\r\nx-api-key: {KEY}\r\nConnection: close\r\n\r\n"
    response = raw(engine, request.encode())
    status = raw_status(response)
    assert status in (400, 404, 405) or (raw_id == "" and suffix == "" and status == 200), response[
        :300
    ]
    assert b"application/json" in response.split(b"\r\n\r\n")[0]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-api-key": ""},
        {"x-api-key": "tlk_wrong"},
        {"x-api-key": KEY[:-1]},
        {"x-api-key": KEY + "x"},
        {"x-api-key": KEY.upper()},
        {"x-api-key": "k" * 8000},
        {"X-API-KEY": "tlk_wrong"},
        {"Authorization": f"Bearer {KEY}"},
        {"x-api-key": quote(KEY + "/")},
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "embed/tasks",
        "embed/tasks/66419a20c70bb578439bd8f4/status",
        "embed/tasks/66419a20c70bb578439bd8f4",
    ],
)
def test_missing_or_wrong_key(engine: LocalEngine, headers: dict[str, str], path: str) -> None:
    r = requests.get(url(engine, path), headers=headers, timeout=10)
    body = assert_refusal(r, 401)
    assert body["code"] == "api_key_invalid"
    r = requests.post(
        url(engine, "embed/tasks"),
        headers=headers,
        files=[("model_name", (None, "marengo3.0"))],
        timeout=10,
    )
    assert assert_refusal(r, 401)["code"] == "api_key_invalid"


def test_duplicate_key_headers(engine: LocalEngine) -> None:
    """Two ``x-api-key`` headers: never a 5xx, and a wrong one first never lets it in."""
    request = (
        f"GET /v1.3/embed/tasks HTTP/1.1\r\nHost: x\r\nx-api-key: tlk_wrong\r\nx-api-key: {KEY}\r\n"
        "Connection: close\r\n\r\n"
    )
    assert raw_status(raw(engine, request.encode())) == 401


# --- private addresses --------------------------------------------------------------------


@pytest.fixture(scope="module")
def file_server(
    tmp_path_factory: pytest.TempPathFactory, video: bytes
) -> Iterator[tuple[int, list[str]]]:
    """A loopback HTTP server that serves a real video and records every request path."""
    root = tmp_path_factory.mktemp("served")
    (root / "v.mp4").write_bytes(video)
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            hits.append(self.path)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def fetching_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    """An engine with the real downloader and the default policy (no private URLs)."""
    with LocalEngine(
        data_dir=tmp_path_factory.mktemp("fetching"), api_key=KEY, workers=1, fetch_timeout_sec=10
    ) as eng:
        yield eng


PRIVATE_HOSTS = [
    "127.0.0.1", "localhost", "LOCALHOST", "localhost.", "[::1]", "[0:0:0:0:0:0:0:1]", "0.0.0.0", "[::]",
    "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "127.000.000.001", "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]", "[::ffff:0:127.0.0.1]", "[64:ff9b::127.0.0.1]", "[2002:7f00:1::]", "user:pw@127.0.0.1",
    "169.254.169.254", "10.0.0.1", "192.168.0.1", "172.16.0.1", "100.64.0.1", "[fe80::1]", "[fc00::1]",
    "127.0.0.1.", "%31%32%37.0.0.1",
]  # fmt: skip


def wait_status(
    s: requests.Session, engine: LocalEngine, task_id: str, timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = s.get(
            url(engine, f"embed/tasks/{task_id}/status"), timeout=10
        ).json()
        if body["status"] != "processing" or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


@pytest.mark.parametrize("host", PRIVATE_HOSTS)
def test_private_urls_are_never_fetched(
    fetching_engine: LocalEngine, file_server: tuple[int, list[str]], host: str
) -> None:
    port, hits = file_server
    before = len(hits)
    video_url = f"http://{host}:{port}/v.mp4"
    with requests.Session() as s:
        s.headers["x-api-key"] = KEY
        r = s.post(
            url(fetching_engine, "embed/tasks"),
            files=[("model_name", (None, "marengo3.0")), ("video_url", (None, video_url))],
            timeout=30,
        )
        if r.status_code == 200:
            final = wait_status(s, fetching_engine, r.json()["_id"])
            assert final["status"] == "failed", final
            assert final["error"]["code"] == "parameter_invalid", final
        else:
            assert_refusal(r, 400)
    assert len(hits) == before, f"{video_url} reached the file server: {hits[before:]}"


def test_control_allowed_private_url_reaches_the_server(
    file_server: tuple[int, list[str]],
) -> None:
    """The control for the test above: with private URLs allowed, the same server *is*
    reached and the task is ready, so a zero hit count means something."""
    port, hits = file_server
    before = len(hits)
    with (
        LocalEngine(api_key=KEY, workers=1, allow_private_urls=True) as eng,
        requests.Session() as s,
    ):
        s.headers["x-api-key"] = KEY
        r = s.post(
            url(eng, "embed/tasks"),
            files=[
                ("model_name", (None, "marengo3.0")),
                ("video_url", (None, f"http://127.0.0.1:{port}/v.mp4")),
            ],
            timeout=30,
        )
        assert r.status_code == 200, r.text
        assert wait_status(s, eng, r.json()["_id"], timeout=60)["status"] == "ready"
    assert len(hits) == before + 1
