"""Schemathesis against the engine's assets and multipart-upload operations.

Schema-valid and schema-breaking requests for every operation; answers must be non-5xx
and match the description, and negative data must be refused. Real ids (an upload, an
asset) are steered into part of the cases so the fuzzer reaches past the 404s; URL
assets point at an unroutable name, so nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from tests.reliability.test_schemathesis import CHECKS
from twelvelabs_embed.local.engine import LocalEngine

pytestmark = pytest.mark.timeout(180)

API_KEY = "tlk_fuzz_assets"
EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 30}
OPERATIONS = [
    "createAsset", "listAssets", "retrieveAsset", "deleteAsset", "createMultipartUpload",
    "listIncompleteUploads", "getUploadStatus", "reportChunkBatch",
    "getAdditionalPresignedUrls", "putChunk",
]  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    data = tmp_path_factory.mktemp("fuzz-assets")
    with LocalEngine(data_dir=data, api_key=API_KEY, workers=1, upload_chunk_size=1 << 20) as eng:
        yield eng


@pytest.fixture(scope="module")
def ids(engine: LocalEngine) -> dict[str, list[str]]:
    with requests.Session() as s:
        s.headers["x-api-key"] = API_KEY
        r = s.post(engine.base_url + "/assets/multipart-uploads",
                   json={"filename": "a.mp4", "type": "video", "total_size": 3 << 20}, timeout=30)  # fmt: skip
        assert r.status_code == 201, r.text
        up = r.json()
    return {
        "upload_id": [up["upload_id"], "ffffffffffffffffffffffff"],
        "asset_id": [up["asset_id"], "ffffffffffffffffffffffff"],
        "url": [u["url"] for u in up["upload_urls"]],
    }


@pytest.fixture(scope="module")
def schema(engine: LocalEngine) -> Any:
    return schemathesis.openapi.from_url(engine.base_url + "/openapi.json")


# retrieveAsset has no negative form: its one parameter is any string.
COMBOS = [(op, mode) for op in OPERATIONS for mode in GenerationMode
          if (op, mode) != ("retrieveAsset", GenerationMode.NEGATIVE)]  # fmt: skip


@pytest.mark.parametrize(("operation_id", "mode"), COMBOS)
def test_no_5xx_and_responses_match_the_description(
    engine: LocalEngine,
    schema: Any,
    ids: dict[str, list[str]],
    operation_id: str,
    mode: GenerationMode,
) -> None:
    (operation,) = [
        r.ok()
        for r in schema.get_all_operations()
        if r.ok().definition.raw["operationId"] == operation_id
    ]
    session = requests.Session()
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    headers = {"x-api-key": API_KEY}
    count = 0

    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers), data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        nonlocal count
        count += 1
        params = dict(case.path_parameters or {})
        for name in ("upload_id", "asset_id"):
            if name in params and data.draw(st.booleans()):
                params[name] = data.draw(st.sampled_from(ids[name]))
        case.path_parameters = params
        if isinstance(case.body, dict) and case.body.get("method") == "url":
            case.body = {**case.body, "url": "http://videos.example.invalid/clip.mp4"}
        response = case.call(base_url=engine.base_url, session=session, headers=headers, timeout=30)
        assert response.status_code < 500, (case.as_curl_command(), response.text)
        case.validate_response(response, checks=checks, headers=headers)

    try:
        run()
    finally:
        session.close()
    assert count > 0


def test_a_signed_url_accepts_exactly_its_chunk(engine: LocalEngine) -> None:
    with requests.Session() as s:
        r = s.post(engine.base_url + "/assets/multipart-uploads", headers={"x-api-key": API_KEY},
                   json={"filename": "b.mp4", "type": "video", "total_size": 2 << 20}, timeout=30)  # fmt: skip
        first, second = (u["url"] for u in r.json()["upload_urls"])
        r = s.put(first, data=b"\1" * (1 << 20), timeout=30)
        assert r.status_code == 200 and r.headers["ETag"].startswith('"')
        r = s.put(second.replace("/chunks/2", "/chunks/1"), data=b"\1" * (1 << 20), timeout=30)
        assert r.status_code == 403 and r.json()["code"] == "signature_invalid"
