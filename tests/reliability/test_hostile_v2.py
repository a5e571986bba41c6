"""Hostile input to the Embed API v2 routes and v1 ``/embed``: fuzzed JSON bodies, mutated
valid bodies, deep nesting, broken base64, bad task ids, and URLs that name this machine
or a private network.

Every answer must be a 4xx in the route's error shape or a correct 2xx, never a 5xx; no
private address is ever contacted; the engine keeps serving and leaves no files behind.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from tests.reliability.test_hostile_input import (  # noqa: F401 - fixtures
    FUZZ,
    KEY,
    PRIVATE_HOSTS,
    fetching_engine,
    file_server,
    video,
)
from tests.videos import make_video
from twelvelabs_embed.local.engine import LocalEngine

pytestmark = pytest.mark.timeout(180)

REFUSED_URL = "http://127.0.0.1:9/v.mp4"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    with LocalEngine(data_dir=tmp_path_factory.mktemp("hostile-v2"), api_key=KEY, workers=1) as eng:
        yield eng


@pytest.fixture(scope="module")
def api() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["x-api-key"] = KEY
        yield s


@pytest.fixture(scope="module")
def video_b64(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = make_video(
        tmp_path_factory.mktemp("m") / "v.mp4", width=480, height=360, duration=4.5, fps=8
    )
    return base64.b64encode(path.read_bytes()).decode()


def v2_refusal(r: requests.Response, *statuses: int) -> dict[str, Any]:
    assert r.status_code < 500, r.text
    assert (r.status_code in statuses) if statuses else 400 <= r.status_code < 500, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    assert isinstance(body["error"]["message"], str) and "Traceback" not in r.text
    return body


def still_serving(engine: LocalEngine, api: requests.Session) -> None:
    r = api.post(
        f"{engine.base_url}/embed-v2",
        json={"input_type": "text", "model_name": "marengo3.0", "text": {"input_text": "ok"}},
        timeout=30,
    )
    assert r.status_code == 200, r.text


def refused_urls(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REFUSED_URL if k == "url" and isinstance(v, str) else refused_urls(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [refused_urls(v) for v in value]
    return value


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "input_type",
        "model_name",
        "text",
        "video",
        "audio",
        "image",
        "multi_input",
        "embedding_dimension",
        "media_source",
        "segmentation",
        "input_text",
        "url",
        "base64_string",
        "asset_id",
        "start_sec",
        "end_sec",
        "embedding_option",
        "embedding_scope",
        "embedding_type",
        "media_sources",
        "media_type",
        "strategy",
        "fixed",
        "dynamic",
        "duration_sec",
        "min_duration_sec",
        "temporal",
    ]
)
HOSTILE = st.one_of(
    JSON,
    st.sampled_from(
        [
            10**30,
            -(10**30),
            1e308,
            -1.0,
            0,
            "",
            " ",
            "\x00",
            "../../etc/passwd",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢" * 50,
            "A" * 70000,
            [],
            {},
            True,
        ]
    ),
)


def mutate(body: Any, data: st.DataObject) -> Any:
    """``body`` with one key (at any depth) replaced by a hostile value, or added."""
    if isinstance(body, dict) and body:
        key = data.draw(st.sampled_from(sorted(body)) | KEYS)
        if key in body and isinstance(body[key], (dict, list)) and data.draw(st.booleans()):
            return {**body, key: mutate(body[key], data)}
        return {**body, key: data.draw(HOSTILE)}
    if isinstance(body, list) and body:
        i = data.draw(st.integers(0, len(body) - 1))
        return [*body[:i], mutate(body[i], data), *body[i + 1 :]]
    return data.draw(HOSTILE)


VALID = [
    ("embed-v2", {"input_type": "text", "model_name": "marengo3.0", "text": {"input_text": "a"}}),
    ("embed-v2", {"input_type": "video", "model_name": "marengo3.0", "video": {"media_source": {"base64_string": "AAAA"}, "segmentation": {"strategy": "fixed", "fixed": {"duration_sec": 4}}, "embedding_option": ["visual"]}}),
    ("embed-v2", {"input_type": "multi_input", "model_name": "marengo3.5", "embedding_dimension": 256, "multi_input": {"input_text": "<@a>", "media_sources": [{"name": "a", "media_type": "image", "url": REFUSED_URL}]}}),
    ("embed-v2/tasks", {"input_type": "audio", "model_name": "marengo3.5", "audio": {"media_source": {"url": REFUSED_URL}, "segmentation": {"temporal": {"strategy": "dynamic", "dynamic": {"min_duration_sec": 2}}}, "time_based_metadata": [{"start": 0, "end": 1, "text": "x"}], "embedding_type": ["fused_embedding"]}}),
]  # fmt: skip


@FUZZ
@given(path=st.sampled_from(["embed-v2", "embed-v2/tasks"]), body=JSON)
def test_fuzzed_json_bodies(
    engine: LocalEngine, api: requests.Session, path: str, body: Any
) -> None:
    r = api.post(f"{engine.base_url}/{path}", json=refused_urls(body), timeout=30)
    v2_refusal(r)


@FUZZ
@given(which=st.integers(0, len(VALID) - 1), data=st.data())
def test_mutated_valid_bodies(
    engine: LocalEngine, api: requests.Session, which: int, data: st.DataObject
) -> None:
    path, body = VALID[which]
    r = api.post(f"{engine.base_url}/{path}", json=refused_urls(mutate(body, data)), timeout=30)
    if r.status_code >= 300:
        v2_refusal(r)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b'{"a":' * 50_000,
        b"\xff\xfe{}",
        b'{"input_type": "text", "input_type": "video"}',
        b"",
        b"null",
        b'"text"',
        b"1e999999",
    ],
)
def test_malformed_json(engine: LocalEngine, api: requests.Session, raw: bytes) -> None:
    for path in ("embed-v2", "embed-v2/tasks"):
        r = api.post(
            f"{engine.base_url}/{path}",
            data=raw,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        v2_refusal(r, 400)
    still_serving(engine, api)


@pytest.mark.parametrize(
    "b64",
    [
        "!!!!",
        "AAA",
        "A" * 4 + "=" * 5,
        "\u0661\u0662\u0663\u0664",
        "AAAA" * 10 + "\n\t " * 3,
        base64.b64encode(b"\x00" * 64).decode(),
    ],
)
def test_broken_base64(engine: LocalEngine, api: requests.Session, b64: str) -> None:
    body = {
        "input_type": "video",
        "model_name": "marengo3.0",
        "video": {"media_source": {"base64_string": b64}},
    }
    v2_refusal(api.post(f"{engine.base_url}/embed-v2", json=body, timeout=30), 400)
    r = api.post(f"{engine.base_url}/embed-v2/tasks", json=body, timeout=30)
    if r.status_code == 202:  # decodable but not a video: the task fails
        engine.wait_idle_sync(60)
        task = api.get(f"{engine.base_url}/embed-v2/tasks/{r.json()['_id']}", timeout=30).json()
        assert task["status"] == "failed" and task["error"]["message"], task
    else:
        v2_refusal(r, 400)
    assert not list((engine.data_dir / "media").iterdir())


@pytest.mark.parametrize(
    "task_id",
    [
        "x",
        "0" * 23,
        "0" * 25,
        "G" * 24,
        "%2e%2e",
        "..%2F..%2Fopenapi.json",
        "%00" * 8,
        "0123456789ABCDEF01234567",
        "٠" * 24,
    ],
)
def test_bad_task_ids(engine: LocalEngine, api: requests.Session, task_id: str) -> None:
    r = api.get(f"{engine.base_url}/embed-v2/tasks/{task_id}", timeout=30)
    v2_refusal(r, 404)


@pytest.mark.parametrize("host", PRIVATE_HOSTS)
def test_private_urls_are_never_fetched(
    fetching_engine: LocalEngine,  # noqa: F811
    file_server: tuple[int, list[str]],  # noqa: F811
    host: str,
) -> None:
    port, hits = file_server
    before = len(hits)
    link = f"http://{host}:{port}/v.mp4"
    with requests.Session() as s:
        s.headers["x-api-key"] = KEY
        base = fetching_engine.base_url
        sync = {
            "input_type": "video",
            "model_name": "marengo3.0",
            "video": {"media_source": {"url": link}},
        }
        v2_refusal(s.post(f"{base}/embed-v2", json=sync, timeout=30), 400)
        r = s.post(f"{base}/embed-v2/tasks", json=sync, timeout=30)
        if r.status_code == 202:
            fetching_engine.wait_idle_sync(60)
            task = s.get(f"{base}/embed-v2/tasks/{r.json()['_id']}", timeout=10).json()
            assert task["status"] == "failed" and task["error"]["message"].startswith(
                "failed to fetch"
            )
        else:
            v2_refusal(r, 400)
        form = [("model_name", (None, "marengo3.0")), ("image_url", (None, link))]
        v1 = s.post(f"{base}/embed", files=form, timeout=30)
        assert v1.status_code == 400 and v1.json()["code"] == "parameter_invalid", v1.text
    assert len(hits) == before, f"{link} reached the file server: {hits[before:]}"


def test_base64_task_and_valid_requests_still_work(
    engine: LocalEngine, api: requests.Session, video_b64: str
) -> None:
    body = {
        "input_type": "video",
        "model_name": "marengo3.0",
        "video": {"media_source": {"base64_string": video_b64}, "embedding_option": ["visual"]},
    }
    r = api.post(f"{engine.base_url}/embed-v2/tasks", json=body, timeout=30)
    assert r.status_code == 202, r.text
    engine.wait_idle_sync(60)
    task = api.get(f"{engine.base_url}/embed-v2/tasks/{r.json()['_id']}", timeout=30).json()
    assert task["status"] == "ready", task
    still_serving(engine, api)
    assert not list((engine.data_dir / "media").iterdir())
