"""Schemathesis against the running engine's own ``/v1.3/openapi.json``.

Positive cases (schema-valid requests) and negative ones (schema-breaking requests) for
every operation (v1 tasks, v1 ``/embed``, Embed API v2); every answer must be non-5xx, have a status, content type and body
the description promises, and negative data must be refused with a 4xx. The engine runs
in a thread on 127.0.0.1 with ``video_url`` downloads stubbed out, and every other URL a
case carries (v2 ``url``, ``image_url``, ``audio_url``) is rewritten to a loopback address
the engine's policy refuses before connecting, so no request leaves the machine.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.reliability.conftest import OfflineFetcher
from tests.videos import make_video
from twelvelabs_embed.local.app_keys import DOWNLOADS
from twelvelabs_embed.local.engine import LocalEngine

pytestmark = pytest.mark.timeout(120)

API_KEY = "tlk_fuzz"
EXAMPLES = {GenerationMode.POSITIVE: 80, GenerationMode.NEGATIVE: 50}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
OFFLINE_URL = "http://videos.example.test/clip.mp4"
REFUSED_URL = "http://127.0.0.1:9/clip.mp4"
"""Loopback: refused by the engine's address policy without a connection or a lookup."""
URL_KEYS = frozenset({"url", "image_url", "audio_url"})


def _refused_urls(value: Any) -> Any:
    """Every URL a fetcher could follow, outside ``video_url``, made a refused one."""
    if isinstance(value, dict):
        return {
            k: REFUSED_URL if k in URL_KEYS and isinstance(v, str) else _refused_urls(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_refused_urls(v) for v in value]
    return value


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    data = tmp_path_factory.mktemp("fuzz-engine")
    with LocalEngine(data_dir=data, api_key=API_KEY, workers=1) as eng:
        assert eng.app is not None
        eng.app[DOWNLOADS]._fetcher = OfflineFetcher()  # type: ignore[assignment]
        yield eng


@pytest.fixture(scope="module")
def task_ids(engine: LocalEngine, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A ready task, a failed one and a well-formed unknown id, so fuzzed status and
    retrieve calls reach the 200 and 404 paths and not only the id check."""
    video = make_video(
        tmp_path_factory.mktemp("fuzz-media") / "v.mp4", width=480, height=360, duration=4.5, fps=8
    )
    ids = []
    with requests.Session() as s:
        s.headers["x-api-key"] = API_KEY
        fields = [
            ("model_name", (None, "marengo3.0")),
            ("video_embedding_scope", (None, "clip")),
            ("video_embedding_scope", (None, "video")),
        ]
        for source in (
            ("video_file", ("v.mp4", video.read_bytes(), "video/mp4")),
            ("video_url", (None, OFFLINE_URL)),
        ):
            r = s.post(engine.base_url + "/embed/tasks", files=[*fields, source], timeout=30)
            assert r.status_code == 200, r.text
            ids.append(r.json()["_id"])
        for body in (
            {"input_type": "video", "model_name": "marengo3.0", "video": {"media_source": {"base64_string": base64.b64encode(video.read_bytes()).decode()}, "embedding_option": ["visual"]}},
            {"input_type": "video", "model_name": "marengo3.0", "video": {"media_source": {"url": REFUSED_URL}}},
        ):  # fmt: skip
            r = s.post(engine.base_url + "/embed-v2/tasks", json=body, timeout=30)
            assert r.status_code == 202, r.text
            ids.append(r.json()["_id"])
    engine.wait_idle_sync(60)
    return [*ids, "66419a20c70bb578439bd8f4"]


STEER = {
    "createEmbeddings": {"input_type": "text", "model_name": "marengo3.0", "text": {"input_text": "a kite"}},
    "createAsyncEmbeddingTask": {"input_type": "video", "model_name": "marengo3.0", "video": {"media_source": {"url": REFUSED_URL}}},
    "createEmbedding": {"model_name": "marengo3.0", "text": "a kite"},
}  # fmt: skip
"""A known-good body some positive cases get instead, to reach the 2xx paths."""


@pytest.fixture(scope="module")
def schema(engine: LocalEngine) -> Any:
    return schemathesis.openapi.from_url(engine.base_url + "/openapi.json")


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


# The status operation has no negative form: its one parameter is any string, and the
# key is fixed (the 401 test below covers keys).
COMBOS = [
    ("createEmbeddingTask", GenerationMode.POSITIVE),
    ("createEmbeddingTask", GenerationMode.NEGATIVE),
    ("listEmbeddingTasks", GenerationMode.POSITIVE),
    ("listEmbeddingTasks", GenerationMode.NEGATIVE),
    ("getEmbeddingTaskStatus", GenerationMode.POSITIVE),
    ("retrieveEmbeddingTask", GenerationMode.POSITIVE),
    ("retrieveEmbeddingTask", GenerationMode.NEGATIVE),
    ("createEmbedding", GenerationMode.POSITIVE),
    ("createEmbedding", GenerationMode.NEGATIVE),
    ("createEmbeddings", GenerationMode.POSITIVE),
    ("createEmbeddings", GenerationMode.NEGATIVE),
    ("createAsyncEmbeddingTask", GenerationMode.POSITIVE),
    ("createAsyncEmbeddingTask", GenerationMode.NEGATIVE),
    ("listAsyncEmbeddingTasks", GenerationMode.POSITIVE),
    ("listAsyncEmbeddingTasks", GenerationMode.NEGATIVE),
    ("retrieveAsyncEmbeddingTask", GenerationMode.POSITIVE),
]


@pytest.mark.parametrize(("operation_id", "mode"), COMBOS)
def test_no_5xx_and_responses_match_the_description(
    engine: LocalEngine, schema: Any, task_ids: list[str], operation_id: str, mode: GenerationMode
) -> None:
    (operation,) = [
        op for op in _operations(schema) if op.definition.raw["operationId"] == operation_id
    ]
    session = requests.Session()
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    count = 0
    headers = {"x-api-key": API_KEY}
    strategy = operation.as_strategy(generation_mode=mode, headers=headers)

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        nonlocal count
        count += 1
        # Steer part of the cases onto the paths random data rarely reaches: real task
        # ids, and a create whose URL passes the rules (its download then fails offline).
        if "{task_id}" in operation.path and data.draw(st.booleans()):
            case.path_parameters = {"task_id": data.draw(st.sampled_from(task_ids))}
        if (
            operation_id == "createEmbeddingTask"
            and mode is GenerationMode.POSITIVE
            and isinstance(case.body, dict)
            and data.draw(st.booleans())
        ):
            case.body = {**case.body, "video_url": OFFLINE_URL}
        if operation_id in STEER and mode is GenerationMode.POSITIVE and data.draw(st.booleans()):
            case.body = STEER[operation_id]
        case.body = _refused_urls(case.body)
        response = case.call(base_url=engine.base_url, session=session, headers=headers, timeout=30)
        assert response.status_code < 500, (case.as_curl_command(), response.text)
        case.validate_response(response, checks=checks, headers=headers)

    try:
        run()
    finally:
        session.close()
    print(f"{operation_id}/{mode.value}: {count} cases")
    assert count > 0


def test_wrong_or_missing_key_is_401_for_every_operation(engine: LocalEngine, schema: Any) -> None:
    with requests.Session() as session:
        for operation in _operations(schema):
            if operation.definition.raw.get("security") == []:
                continue  # a presigned URL: its signature is the credential
            case = operation.Case() if hasattr(operation, "Case") else operation.make_case()
            names = re.findall(r"{(\w+)}", operation.path)
            case.path_parameters = dict.fromkeys(names, "66419a20c70bb578439bd8f4")
            for headers in ({}, {"x-api-key": "tlk_wrong"}):
                r = case.call(base_url=engine.base_url, session=session, headers=headers)
                body = r.json()
                code = body["error"]["code"] if "error" in body else body["code"]
                assert r.status_code == 401 and code == "api_key_invalid"
