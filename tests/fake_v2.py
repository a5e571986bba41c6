"""The fake platform's Embed API v2 and ``POST /embed`` answers (see ``fakeplatform.py``).

Tiny and deterministic: a sync call echoes what it was asked for as one-hot vectors, a
task is ``processing`` for ``polls_until_ready`` retrieves and then ``ready`` (or the
``final_status`` a test set), and lists page newest first with an empty page past the end.
"""

from __future__ import annotations

import secrets
from typing import Any

import attrs
import orjson
from aiohttp import web


@attrs.define
class FakeV2Task:
    id: str
    body: dict[str, Any]
    created_at: str
    polls_until_ready: int = 1
    final_status: str = "ready"
    polls: int = 0

    @property
    def status(self) -> str:
        return self.final_status if self.polls >= self.polls_until_ready else "processing"


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def v2_error(status: int, code: str, message: str) -> web.Response:
    return _json({"error": {"code": code, "message": message}}, status)


def _vector(i: int, dim: int) -> list[float]:
    vec = [0.0] * dim
    vec[i % dim] = 1.0
    return vec


def _data(body: dict[str, Any], n: int, dim: int) -> list[dict[str, Any]]:
    payload = body.get(body.get("input_type", ""), {}) or {}
    if body.get("input_type") not in ("audio", "video"):
        return [{"embedding": _vector(0, dim)}]
    options = payload.get("embedding_option") or ["visual", "audio"]
    return [
        {
            "embedding": _vector(i, dim),
            "embedding_option": option,
            "embedding_scope": "clip",
            "start_sec": 6.0 * i,
            "end_sec": 6.0 * (i + 1),
        }
        for option in options
        for i in range(n)
    ]


def _dim(body: dict[str, Any], default: int) -> int:
    return int(body.get("embedding_dimension") or default)


class FakeV2:
    """State and answers for the v2 routes of one fake platform."""

    def __init__(self, *, segments: int, dimension: int, polls_until_ready: int) -> None:
        self.tasks: dict[str, FakeV2Task] = {}
        self.segments = segments
        self.dimension = dimension
        self.polls_until_ready = polls_until_ready

    def serve(self, route: str, request: web.Request, body: bytes) -> web.Response:
        if route in ("v2_create", "v2_task_create"):
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                return v2_error(400, "parameter_invalid", "The body is not JSON.")
            if not isinstance(parsed, dict) or "model_name" not in parsed:
                return v2_error(400, "parameter_not_provided", "model_name is required.")
            if route == "v2_create":
                return self._create(parsed)
            return self._create_task(parsed)
        if route == "v2_list":
            return self._list(request)
        task_id = request.raw_path.split("?")[0].rstrip("/").split("/")[-1]
        task = self.tasks.get(task_id)
        if task is None:
            return v2_error(404, "resource_not_exist", f"Task {task_id} was not found.")
        task.polls += 1
        return _json(self._task(task))

    def _create(self, body: dict[str, Any]) -> web.Response:
        out: dict[str, Any] = {"data": _data(body, self.segments, _dim(body, self.dimension))}
        kind = body.get("input_type")
        if kind in ("audio", "video"):
            out["metadata"] = {
                "input_type": kind,
                "embedding_options": [d["embedding_option"] for d in out["data"]][:1],
                "embedding_scopes": ["clip"],
                "duration": 6.0 * self.segments,
            }
        return _json(out)

    def _create_task(self, body: dict[str, Any]) -> web.Response:
        task = FakeV2Task(
            secrets.token_hex(12),
            body,
            f"2026-11-{len(self.tasks) % 28 + 1:02d}T00:00:00Z",
            polls_until_ready=self.polls_until_ready,
        )
        self.tasks[task.id] = task
        return _json({"_id": task.id, "status": "processing", "data": None}, 202)

    def _task(self, task: FakeV2Task) -> dict[str, Any]:
        out: dict[str, Any] = {
            "_id": task.id,
            "status": task.status,
            "created_at": task.created_at,
            "updated_at": task.created_at,
            "data": None,
        }
        if task.status == "ready":
            out["data"] = _data(task.body, self.segments, _dim(task.body, self.dimension))
        elif task.status == "failed":
            out["error"] = {"message": "The embedding task failed. Please try again later."}
        return out

    def _list(self, request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        limit = int(request.query.get("page_limit", "10"))
        tasks = sorted(self.tasks.values(), key=lambda t: t.created_at, reverse=True)
        chunk = tasks[(page - 1) * limit : page * limit]
        data = [
            {"_id": t.id, "model_name": t.body["model_name"], "status": t.status} for t in chunk
        ]
        info = {
            "limit_per_page": limit,
            "page": page,
            "total_page": max(1, -(-len(tasks) // limit)),
            "total_results": len(tasks),
        }
        return _json({"data": data, "page_info": info})


def sync_embed(fields: dict[str, list[str]], file_names: list[str], dim: int) -> web.Response:
    """``POST /embed``: one segment per kind asked for."""
    out: dict[str, Any] = {"model_name": fields.get("model_name", [""])[0]}
    if fields.get("text"):
        out["text_embedding"] = {"segments": [{"float": _vector(0, dim)}]}
    if fields.get("image_url") or "image_file" in file_names:
        out["image_embedding"] = {"segments": [{"float": _vector(1, dim)}]}
    if fields.get("audio_url") or "audio_file" in file_names:
        out["audio_embedding"] = {
            "segments": [
                {"float": _vector(2, dim), "start_offset_sec": 0.0, "end_offset_sec": 10.0}
            ]
        }
    return _json(out)


def v2_route(method: str, parts: list[str]) -> str | None:
    """The v2 / ``/embed`` route name of a path split on ``/``, or ``None``."""
    if "embed-v2" in parts:
        rest = parts[parts.index("embed-v2") + 1 :]
        if not rest:
            return "v2_create"
        if rest == ["tasks"]:
            return "v2_task_create" if method == "POST" else "v2_list"
        return "v2_retrieve"
    if parts[-1:] == ["embed"]:
        return "sync_create"
    return None
