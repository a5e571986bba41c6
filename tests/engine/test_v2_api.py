"""Embed API v2 and v1 ``/embed`` on the engine over HTTP: statuses, bodies, error shapes,
segmentation, dimensions, sources, failures and restarts."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiohttp.test_utils import TestServer

from tests.videos import make_image, make_video
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.local.intake import new_task_id
from twelvelabs_embed.local.store import TaskStore
from twelvelabs_embed.local.v2_store import V2TaskRecord, V2TaskStore
from twelvelabs_embed.local.v2_work import plan_json
from twelvelabs_embed.rules.embed_v2 import parse_request

from .conftest import form, wait_done

pytestmark = pytest.mark.timeout(180)


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def video_body(source: dict[str, Any], model: str = "marengo3.0", **video: Any) -> dict[str, Any]:
    return {"input_type": "video", "model_name": model, "video": {"media_source": source, **video}}


async def post(http: aiohttp.ClientSession, path: str, body: Any) -> tuple[int, Any]:
    async with http.post(path, json=body) as r:
        return r.status, await r.json()


async def wait_v2(engine: LocalEngine, http: aiohttp.ClientSession, task_id: str) -> Any:
    await engine.wait_idle()
    async with http.get(f"embed-v2/tasks/{task_id}") as r:
        assert r.status == 200
        return await r.json()


def vectors(body: Any, option: str | None = None, scope: str | None = None) -> np.ndarray:
    rows = [
        d["embedding"]
        for d in body["data"]
        if (option is None or d.get("embedding_option") == option)
        and (scope is None or d.get("embedding_scope") == scope)
    ]
    return np.asarray(rows, dtype=np.float64)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 s, a hard cut every 3 s (the synthetic scenes), 480x360, with sound."""
    d = tmp_path_factory.mktemp("shots")
    return make_video(d / "shots.mp4", width=480, height=360, duration=12.0, fps=8, audio=True)


# --- error shapes --------------------------------------------------------------------


async def test_error_shapes(engine: LocalEngine, http: aiohttp.ClientSession) -> None:
    async with (
        aiohttp.ClientSession(base_url=engine.base_url + "/") as anon,
        anon.post("embed-v2", json={}) as r,
    ):
        assert r.status == 401 and (await r.json())["error"]["code"] == "api_key_invalid"
    status, body = await post(http, "embed-v2", {"input_type": "text", "model_name": "marengo3.0"})
    assert status == 400 and set(body) == {"error"}
    assert body["error"] == {
        "code": "parameter_not_provided",
        "message": "The `text` parameter is required but was not provided.",
    }
    async with http.post(
        "embed-v2", data=b"{not json", headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "parameter_invalid"
    async with http.post(
        "embed-v2/tasks", data=b"x=1", headers={"Content-Type": "text/plain"}
    ) as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "content_type_invalid"
    async with http.get("embed-v2/tasks", params={"page_limit": "51"}) as r:
        flat = await r.json()  # the list's 400 is documented in the flat v1 shape
        assert r.status == 400 and flat["code"] == "parameter_invalid" and "error" not in flat
    async with http.get("embed-v2/tasks/0123456789abcdef01234567") as r:
        assert r.status == 404 and (await r.json())["error"]["code"] == "resource_not_exist"
    async with http.get("embed-v2/tasks/not-an-id") as r:
        assert r.status == 404 and (await r.json())["error"]["code"] == "resource_not_exist"
    async with http.get("embed-v2/nothing/here") as r:
        assert r.status == 404 and (await r.json())["error"]["code"] == "not_found"
    async with http.delete("embed-v2/tasks") as r:
        assert r.status == 405 and (await r.json())["error"]["code"] == "method_not_allowed"
    async with http.get("embed/tasks/nope/status") as r:
        assert "code" in await r.json()  # v1 keeps its flat shape


async def test_body_size_bound(tmp_path: Path) -> None:
    async with (
        LocalEngine(data_dir=tmp_path, workers=1, max_json_body=1000) as eng,
        aiohttp.ClientSession() as s,
        s.post(f"{eng.base_url}/embed-v2", json={"pad": "x" * 2000}) as r,
    ):
        assert r.status == 413 and (await r.json())["error"]["code"] == "request_too_large"


# --- sync: text, image, video ------------------------------------------------------


async def test_text_and_image(http: aiohttp.ClientSession, tmp_path: Path) -> None:
    status, text = await post(
        http,
        "embed-v2",
        {
            "input_type": "text",
            "model_name": "marengo3.0",
            "text": {"input_text": "kites over a beach"},
        },
    )
    assert status == 200 and set(text) == {"data"}  # no metadata for text
    assert list(text["data"][0]) == ["embedding"]
    _, again = await post(
        http,
        "embed-v2",
        {
            "input_type": "text",
            "model_name": "marengo3.0",
            "text": {"input_text": "Kites over the beach"},
        },
    )
    _, other = await post(
        http,
        "embed-v2",
        {
            "input_type": "text",
            "model_name": "marengo3.0",
            "text": {"input_text": "quarterly tax report"},
        },
    )
    t, a, o = vectors(text)[0], vectors(again)[0], vectors(other)[0]
    assert t @ a > 0.5 > t @ o  # near-identical text is near; the rest is not (not semantic)
    small = make_image(tmp_path / "small.png", width=100, height=100)
    status, body = await post(
        http,
        "embed-v2",
        {
            "input_type": "image",
            "model_name": "marengo3.0",
            "image": {"media_source": {"base64_string": b64(small)}},
        },
    )
    assert status == 400 and "128" in body["error"]["message"]


async def test_image_finds_its_clip(
    http: aiohttp.ClientSession, shots: Path, tmp_path: Path
) -> None:
    status, video = await post(
        http,
        "embed-v2",
        video_body(
            {"base64_string": b64(shots)},
            embedding_option=["visual"],
            embedding_scope=["clip"],
            segmentation={"strategy": "fixed", "fixed": {"duration_sec": 3}},
        ),
    )
    assert status == 200
    still = make_image(tmp_path / "first.jpg", width=480, height=360)  # scene 0's first frame
    _, img = await post(
        http,
        "embed-v2",
        {
            "input_type": "image",
            "model_name": "marengo3.0",
            "image": {"media_source": {"base64_string": b64(still)}},
        },
    )
    scores = vectors(video) @ vectors(img)[0]
    assert int(np.argmax(scores)) == 0


async def test_dynamic_segmentation_follows_shots(http: aiohttp.ClientSession, shots: Path) -> None:
    body = video_body(
        {"base64_string": b64(shots)},
        embedding_option=["visual"],
        embedding_scope=["clip"],
        segmentation={"strategy": "dynamic", "dynamic": {"min_duration_sec": 2}},
    )
    status, res = await post(http, "embed-v2", body)
    assert status == 200
    edges = [(d["start_sec"], d["end_sec"]) for d in res["data"]]
    assert edges == [(0, 3), (3, 6), (6, 9), (9, 12)]
    body["video"]["segmentation"]["dynamic"]["min_duration_sec"] = 5
    _, res = await post(http, "embed-v2", body)
    assert [(d["start_sec"], d["end_sec"]) for d in res["data"]] == [(0, 6), (6, 12)]
    assert "clip_length" not in res["metadata"]


async def test_fused_defaults_and_transcription(
    http: aiohttp.ClientSession, media: dict[str, Path]
) -> None:
    source = {"base64_string": b64(media["good"])}
    status, res = await post(
        http,
        "embed-v2",
        video_body(source, embedding_type=["separate_embedding", "fused_embedding"]),
    )
    assert status == 200
    assert res["metadata"]["embedding_options"] == [
        "visual",
        "audio",
    ]  # default, minus transcription
    assert res["metadata"]["embedding_scopes"] == ["clip", "asset"]
    for scope in ("clip", "asset"):
        v, a, f = (vectors(res, o, scope) for o in ("visual", "audio", "fused"))
        mean = (v + a) / np.linalg.norm(v + a, axis=1, keepdims=True)
        assert np.allclose(f, mean, atol=1e-5)
    status, bad = await post(
        http, "embed-v2", video_body(source, embedding_option=["transcription"])
    )
    assert status == 400 and "speech model" in bad["error"]["message"]


async def test_dimension_is_a_renormalised_prefix(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    img = b64(make_image(tmp_path / "p.png", width=256, height=256))
    bodies = {
        dim: {
            "input_type": "multi_input",
            "model_name": "marengo3.5",
            "embedding_dimension": dim,
            "multi_input": {"media_sources": [{"media_type": "image", "base64_string": img}]},
        }
        for dim in (512, 256, 128)
    }
    full = vectors((await post(http, "embed-v2", bodies[512]))[1])[0]
    for dim in (256, 128):
        status, res = await post(http, "embed-v2", bodies[dim])
        assert status == 200 and res["metadata"] == {
            "input_type": "multi_input",
            "embedding_dimension": dim,
        }
        head = full[:dim] / np.linalg.norm(full[:dim])
        assert np.allclose(vectors(res)[0], head, atol=1e-5)
    status, bad = await post(http, "embed-v2", {**bodies[256], "model_name": "marengo3.0"})
    assert status == 400 and bad["error"]["code"] == "parameter_invalid"


async def test_v1_and_v2_agree_for_marengo30(
    engine: LocalEngine, http: aiohttp.ClientSession, media: dict[str, Path]
) -> None:
    async with http.post(
        "embed/tasks",
        data=form(model_name="marengo3.0", video_file=media["good"], video_clip_length=2),
    ) as r:
        task_id = (await r.json())["_id"]
    assert (await wait_done(http, task_id))["status"] == "ready"
    async with http.get(f"embed/tasks/{task_id}", params={"embedding_option": "visual"}) as r:
        v1 = np.asarray([s["float"] for s in (await r.json())["video_embedding"]["segments"]])
    _, v2 = await post(
        http,
        "embed-v2",
        video_body(
            {"base64_string": b64(media["good"])},
            embedding_option=["visual"],
            embedding_scope=["clip"],
            segmentation={"strategy": "fixed", "fixed": {"duration_sec": 2}},
        ),
    )
    assert np.allclose(v1, vectors(v2), atol=1e-5)


# --- sources ------------------------------------------------------------------------


async def test_sources_refused(
    engine: LocalEngine,
    http: aiohttp.ClientSession,
    file_server: TestServer,
    media: dict[str, Path],
) -> None:
    status, body = await post(
        http, "embed-v2", video_body({"asset_id": "6650aa00aa00aa00aa00aa00"})
    )
    assert status == 400 and body["error"]["code"] == "resource_not_exist"
    private = str(file_server.make_url("/files/good"))
    status, body = await post(http, "embed-v2", video_body({"url": private}))
    assert status == 400 and "`video.media_source.url`" in body["error"]["message"]
    status, created = await post(http, "embed-v2/tasks", video_body({"url": private}))
    assert status == 202
    failed = await wait_v2(engine, http, created["_id"])
    assert failed["status"] == "failed" and failed["data"] is None
    assert failed["error"]["message"].startswith("failed to fetch or materialize source media")
    status, created = await post(
        http, "embed-v2/tasks", video_body({"base64_string": b64(media["garbage"])})
    )
    failed = await wait_v2(engine, http, created["_id"])
    assert failed["status"] == "failed" and failed["error"]["message"].startswith(
        "We could not process"
    )
    assert "metadata" not in failed  # no duration is known, and the SDK requires one
    assert not list((engine.data_dir / "media").iterdir())  # nothing left behind


async def test_url_source_when_allowed(
    tmp_path: Path, file_server: TestServer, media: dict[str, Path]
) -> None:
    async with (
        LocalEngine(data_dir=tmp_path, workers=1, allow_private_urls=True) as eng,
        aiohttp.ClientSession(base_url=eng.base_url + "/") as http,
    ):
        url = str(file_server.make_url("/files/good"))
        status, res = await post(
            http, "embed-v2", video_body({"url": url}, embedding_option=["audio"])
        )
        assert status == 200 and res["metadata"]["input_url"] == url
        assert {d["embedding_option"] for d in res["data"]} == {"audio"}


# --- tasks: restart, list items, audio ------------------------------------------------


async def test_a_processing_task_finishes_after_a_restart(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    req, _ = parse_request(
        video_body({"base64_string": "AAAA"}, embedding_option=["visual"]), "async"
    )
    assert req is not None
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    kept = media_dir / "kept.source"
    kept.write_bytes(media["good"].read_bytes())
    store = TaskStore(tmp_path / "tasks.sqlite3")
    await store.open()
    v2 = V2TaskStore(store)
    await v2.open()
    t = int(time.time() * 1000)
    task_id = new_task_id(t)
    await v2.insert(
        V2TaskRecord(
            task_id, "marengo3.0", "video", "processing", t, t, plan_json(req), media_path=str(kept)
        )
    )
    await store.close()
    async with (
        LocalEngine(data_dir=tmp_path, workers=1) as eng,
        aiohttp.ClientSession(base_url=eng.base_url + "/") as http,
    ):
        done = await wait_v2(eng, http, task_id)
        assert done["status"] == "ready" and done["metadata"]["duration"] == pytest.approx(
            4.5, abs=0.1
        )
        assert not kept.exists()  # the engine's own copy is removed once the task is done


async def test_list_items_and_audio_task(
    engine: LocalEngine, http: aiohttp.ClientSession, media: dict[str, Path]
) -> None:
    audio = {
        "input_type": "audio",
        "model_name": "marengo3.0",
        "audio": {"media_source": {"base64_string": b64(media["audio_only"])}, "start_sec": 1},
    }
    status, created = await post(http, "embed-v2/tasks", audio)
    assert status == 202 and created == {
        "_id": created["_id"],
        "status": "processing",
        "data": None,
    }
    done = await wait_v2(engine, http, created["_id"])
    assert done["status"] == "ready" and done["metadata"]["start_offset_sec"] == 1
    assert {d["embedding_option"] for d in done["data"]} == {"audio"}
    assert done["data"][0]["start_sec"] == 1
    async with http.get("embed-v2/tasks", params={"page": "2"}) as r:
        assert (await r.json())["data"] == []  # past the end: empty, so pagers stop
    async with http.get("embed-v2/tasks", params={"status": "ready"}) as r:
        (item,) = (await r.json())["data"]
    assert item["audio_embedding"]["metadata"]["audio_embedding_option"] == ["audio"]
    assert "data" not in item


# --- v1 /embed ----------------------------------------------------------------------


async def test_v1_sync_embed(
    http: aiohttp.ClientSession, media: dict[str, Path], tmp_path: Path
) -> None:
    still = make_image(tmp_path / "s.png", width=200, height=200)
    fields = form(model_name="marengo3.0", text="a kite", audio_file=media["audio_only"])
    fields.add_field("image_file", still.read_bytes(), filename="s.png", content_type="image/png")
    async with http.post("embed", data=fields) as r:
        assert r.status == 200
        body = await r.json()
    assert body["model_name"] == "marengo3.0"
    assert len(body["text_embedding"]["segments"][0]["float"]) == 512
    assert body["image_embedding"]["metadata"] == {"input_filename": "s.png"}
    windows = [
        (s["start_offset_sec"], s["end_offset_sec"]) for s in body["audio_embedding"]["segments"]
    ]
    assert windows == [(0, pytest.approx(5.0, abs=0.1))]
    async with http.post(
        "embed", data=form(model_name="Marengo-retrieval-2.7", text="a kite")
    ) as r:
        assert len((await r.json())["text_embedding"]["segments"][0]["float"]) == 1024
    async with http.post("embed", data=form(model_name="marengo3.0")) as r:
        assert r.status == 400 and (await r.json())["code"] == "parameter_not_provided"
    async with http.post("embed", json={"model_name": "marengo3.0", "text": "x"}) as r:
        assert r.status == 400 and (await r.json())["code"] == "content_type_invalid"
