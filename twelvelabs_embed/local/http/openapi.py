"""The OpenAPI 3.0 description of what this engine serves, built from ``video_rules``.

Truthful on purpose (it is fuzzed): every status an operation can return is listed,
enums and limits come from the same constants the engine enforces, and optional fields
are optional. Served at ``GET /v1.3/openapi.json``.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
from aiohttp import web

from ... import video_rules as vr
from ..app_keys import SETTINGS
from ..settings import API_PREFIX, CONTROL_PREFIX
from . import openapi_assets
from .control_openapi import control_paths
from .openapi_v2 import SCHEMAS as V2_SCHEMAS
from .openapi_v2 import paths as v2_paths

_REF = "#/components/schemas/"
_TASK_ID = {"type": "string", "pattern": "^[0-9a-f]{24}$", "example": "66419a20c70bb578439bd8f4"}
_STATUS = {"type": "string", "enum": list(vr.TASK_STATUSES)}
_MODELS = {"type": "string", "enum": list(vr.MODELS)}
_OPTIONS = {"type": "string", "enum": list(vr.ALL_EMBEDDING_OPTIONS)}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_COMMON = {
    "400": _error("The request is invalid; `code` says which rule was broken."),
    "401": _error("`x-api-key` is missing or wrong (`api_key_invalid`)."),
}
_NOT_FOUND = {"404": _error("No task with this id (or it has expired): `resource_not_exist`.")}
_RATE = {"429": _error("Too many requests (`too_many_requests`); see `Retry-After`.")}
_STORAGE = {
    "507": _error("The engine's data directory cannot take the upload (`insufficient_storage`).")
}
_TASK_PATH_PARAM = {
    "name": "task_id",
    "in": "path",
    "required": True,
    "description": "The task's id (24 hex characters); anything else gives 400.",
    "schema": {"type": "string"},
}


def _task_schema(
    *, timestamps: bool, error: bool, segments: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The task object as status, list items and retrieve show it (one definition)."""
    embedding: dict[str, Any] = {"metadata": _ref("Metadata")}
    if segments is not None:
        embedding["segments"] = segments
    props: dict[str, Any] = {"_id": _TASK_ID, "model_name": {"type": "string"}, "status": _STATUS}
    required = ["_id", "model_name", "status"]
    if timestamps:
        props["created_at"] = {"type": "string", "format": "date-time"}
        props["updated_at"] = {"type": "string", "format": "date-time"}
        required += ["created_at", "updated_at"]
    props["video_embedding"] = {
        "type": "object",
        "required": ["metadata"],
        "properties": embedding,
    }
    required.append("video_embedding")
    if error:
        props["error"] = _ref("TaskError")
    return {"type": "object", "required": required, "properties": props}


_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    },
    "CreateResponse": {
        "type": "object",
        "required": ["_id"],
        "properties": {"_id": _TASK_ID},
    },
    "Metadata": {
        "type": "object",
        "required": ["video_clip_length", "video_embedding_scope"],
        "properties": {
            "input_url": {"type": "string"},
            "input_filename": {"type": "string"},
            "video_clip_length": {"type": "number"},
            "video_embedding_scope": {"type": "array", "items": {"type": "string", "enum": list(vr.SCOPES)}},
            "video_embedding_option": {"type": "array", "items": {"type": "string"}},
            "duration": {"type": "number", "description": "Seconds; present once known."},
        },
    },
    "TaskError": {
        "type": "object",
        "description": "Why a `failed` task failed (this engine's addition).",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    },
    "Segment": {
        "type": "object",
        "required": ["float", "start_offset_sec", "end_offset_sec", "embedding_option", "embedding_scope"],
        "properties": {
            "float": {"type": "array", "items": {"type": "number"}},
            "start_offset_sec": {"type": "number"},
            "end_offset_sec": {"type": "number"},
            "embedding_option": {"type": "string"},
            "embedding_scope": {"type": "string", "enum": list(vr.SCOPES)},
        },
    },
    "StatusResponse": _task_schema(timestamps=False, error=True),
    "Task": _task_schema(timestamps=True, error=False),
    "RetrieveResponse": _task_schema(
        timestamps=True,
        error=True,
        segments={
            "type": "array",
            "description": "Present once the task is `ready`; grouped by option, clips in time order, then the video-scope segment.",
            "items": _ref("Segment"),
        },
    ),
    "ListResponse": {
        "type": "object",
        "required": ["data", "page_info"],
        "properties": {
            "data": {"type": "array", "items": _ref("Task")},
            "page_info": {
                "type": "object",
                "required": ["limit_per_page", "page", "total_page", "total_results"],
                "properties": {
                    k: {"type": "integer", "minimum": 0}
                    for k in ("limit_per_page", "page", "total_page", "total_results")
                },
            },
        },
    },
    "CreateForm": {
        "type": "object",
        "required": ["model_name"],
        "description": "Send `video_file` or `video_url` (the URL wins when both are sent).",
        "properties": {
            "model_name": _MODELS,
            "video_file": {"type": "string", "format": "binary", "description": f"At most {vr.MAX_FILE_SIZE_BYTES} bytes."},
            "video_url": {"type": "string", "description": "An http(s) URL of a raw video file."},
            "video_start_offset_sec": {"type": "number", "minimum": 0},
            "video_end_offset_sec": {"type": "number"},
            "video_clip_length": {"type": "number", "minimum": vr.MIN_CLIP_LENGTH_SEC, "maximum": vr.MAX_CLIP_LENGTH_SEC, "default": vr.DEFAULT_CLIP_LENGTH_SEC},
            "video_embedding_scope": {"type": "array", "items": {"type": "string", "enum": list(vr.SCOPES)}, "default": list(vr.DEFAULT_SCOPES)},
        },
    },
}  # fmt: skip


def _query(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
        **extra,
    }


def _list_query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """A list filter: an empty value (``?page=``) counts as absent, as the engine reads it."""
    return _query(name, schema, description + " Empty means absent.", allowEmptyValue=True)


def _list_parameters() -> list[dict[str, Any]]:
    return [
        _list_query("started_at", {"type": "string", "format": "date-time"}, "Created at or after (RFC 3339)."),
        _list_query("ended_at", {"type": "string", "format": "date-time"}, "Created at or before (RFC 3339)."),
        _list_query("status", _STATUS, "Only tasks with this status."),
        _list_query("page", {"type": "integer", "minimum": 1, "maximum": vr.MAX_PAGE, "default": 1}, "Page number; past the end gives an empty `data`."),
        _list_query("page_limit", {"type": "integer", "minimum": 1, "maximum": vr.MAX_PAGE_LIMIT, "default": vr.DEFAULT_PAGE_LIMIT}, "Tasks per page."),
    ]  # fmt: skip


def build_openapi(control: bool = False) -> dict[str, Any]:
    """The document; ``control`` adds the ``/_engine/`` control plane's paths."""
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": "Twelve Labs Embed API (local engine)",
            "version": "1.3",
            "description": "Video embedding tasks, served offline with the platform's fields, codes and limits.",
        },
        "servers": [{"url": API_PREFIX}],
        "security": [{"ApiKey": []}],
        "paths": {
            "/embed/tasks": {
                "post": {
                    "operationId": "createEmbeddingTask",
                    "summary": "Create a video embedding task",
                    "requestBody": {
                        "required": True,
                        "content": {"multipart/form-data": {"schema": _ref("CreateForm"), "encoding": {"video_embedding_scope": {"style": "form", "explode": True}}}},
                    },
                    "responses": {"200": _ok("CreateResponse", "The task was created; it starts `processing`."), **_COMMON, **_RATE, **_STORAGE},
                },
                "get": {
                    "operationId": "listEmbeddingTasks",
                    "summary": "List tasks, newest first (the last 7 days unless a range is given)",
                    "parameters": _list_parameters(),
                    "responses": {"200": _ok("ListResponse"), **_COMMON},
                },
            },
            "/embed/tasks/{task_id}/status": {
                "get": {
                    "operationId": "getEmbeddingTaskStatus",
                    "summary": "A task's status and metadata (no segments)",
                    "parameters": [_TASK_PATH_PARAM],
                    "responses": {"200": _ok("StatusResponse"), **_COMMON, **_NOT_FOUND},
                },
            },
            "/embed/tasks/{task_id}": {
                "get": {
                    "operationId": "retrieveEmbeddingTask",
                    "summary": "A task with its segments once `ready`",
                    "parameters": [
                        _TASK_PATH_PARAM,
                        _query("embedding_option", {"type": "array", "items": _OPTIONS}, "Only these options (repeat the key); the model must serve them. Empty values are ignored.", style="form", explode=True, allowEmptyValue=True),
                    ],
                    "responses": {"200": _ok("RetrieveResponse"), **_COMMON, **_NOT_FOUND},
                },
            },
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        },
    }  # fmt: skip
    document["info"]["description"] += " Also the v1 sync `/embed`, the Embed API v2 and assets."
    document["paths"].update(v2_paths(_list_parameters(), _COMMON))
    document["paths"].update(openapi_assets.paths())
    document["components"]["schemas"] = {**_SCHEMAS, **V2_SCHEMAS, **openapi_assets.SCHEMAS}
    if control:
        document["paths"].update(control_paths(CONTROL_PREFIX))
    return document


@functools.cache
def openapi_json(control: bool = False) -> bytes:
    return orjson.dumps(build_openapi(control))


async def serve_openapi(request: web.Request) -> web.Response:
    """``GET /openapi.json``: the document above (open, no key needed)."""
    body = openapi_json(request.app[SETTINGS].control)
    return web.Response(body=body, content_type="application/json")
