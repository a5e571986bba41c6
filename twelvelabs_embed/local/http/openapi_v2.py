"""The OpenAPI description of ``POST /embed`` (v1 sync) and the Embed API v2 routes.

Merged into the engine's document by ``openapi.py``. Like the rest of it, it is fuzzed,
so it says no more than the engine enforces: types, enums, required keys and unknown
keys; the rules that join fields (exactly one source, the one input object that
``input_type`` names, model-specific options) are the engine's and answer 400. Optional
fields are ``nullable`` because the engine reads ``null`` as "not given", as the
official SDK sends an explicit ``None``.
"""

from __future__ import annotations

from typing import Any

from ... import video_rules as vr
from ...rules import embed_v2_limits as L

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _v2_error(description: str) -> dict[str, Any]:
    return _json("V2Error", description)


def _flat_error(description: str) -> dict[str, Any]:
    return _json("Error", description)


def _opt(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _list_of(values: tuple[str, ...]) -> dict[str, Any]:
    return _opt({"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(values)}})


def _object(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


_SOURCE = _object(
    {
        "url": _opt({"type": "string", "description": "A direct http(s) link to the file."}),
        "base64_string": _opt({"type": "string", "description": "The file, base64-encoded."}),
        "asset_id": _opt({"type": "string"}),
    }
)
_SOURCE["description"] = "Exactly one of `url`, `base64_string`, `asset_id` (else 400)."
_TIMES = {
    "start_sec": _opt({"type": "number", "minimum": 0}),
    "end_sec": _opt({"type": "number"}),
}
_SEGMENTATION = _opt(
    {
        "type": "object",
        "description": '`{"strategy": "fixed", "fixed": {"duration_sec": 2-10}}` or '
        '`{"strategy": "dynamic", "dynamic": {"min_duration_sec": 2-5}}`; Marengo 3.5 wraps '
        'it as `{"temporal": {...}}`.',
    }
)
_ALL_OPTIONS = ("visual", "audio", "transcription")


def _media(kind: str, *, tasks: bool) -> dict[str, Any]:
    props: dict[str, Any] = {
        "media_source": _ref("MediaSource"),
        **_TIMES,
        "segmentation": _SEGMENTATION,
        "embedding_option": _list_of(
            _ALL_OPTIONS if kind == "video" else ("audio", "transcription")
        ),
        "embedding_scope": _list_of(L.ASYNC_SCOPES if tasks else L.SYNC_SCOPES),
        "embedding_type": _list_of(L.EMBEDDING_TYPES),
    }
    if tasks:
        props["time_based_metadata"] = _opt({"type": "array", "items": {"type": "object"}})
    return _object(props, ("media_source",))


_DIMENSION = _opt(
    {
        "description": "Marengo 3.5 only: 128, 256 or 512 (a number, or the same as a string).",
        "oneOf": [
            {"type": "integer", "enum": list(L.DIMENSIONS_V35)},
            {"type": "string", "enum": [str(d) for d in L.DIMENSIONS_V35]},
        ],
    }
)


def _request(tasks: bool) -> dict[str, Any]:
    types = sorted(
        {
            t
            for table in (L.ASYNC_INPUT_TYPES if tasks else L.SYNC_INPUT_TYPES).values()
            for t in table
        }
    )
    props: dict[str, Any] = {
        "input_type": {"type": "string", "enum": types},
        "model_name": {"type": "string", "enum": list(L.MODELS_V2)},
        "embedding_uncertainty": _opt({"type": "boolean"}),
        "embedding_dimension": _DIMENSION,
        "audio": _opt(_media("audio", tasks=tasks)),
        "video": _opt(_media("video", tasks=tasks)),
    }
    if tasks:
        still = {
            k: _list_of(v)
            for k, v in (
                ("embedding_option", ("visual", "text")),
                ("embedding_scope", ("local", "asset")),
                ("embedding_type", ("separate_embedding",)),
            )
        }
        props["image"] = _opt(
            _object({"media_source": _ref("MediaSource"), **still}, ("media_source",))
        )
        props["document"] = _opt(
            _object(
                {
                    "media_source": _ref("MediaSource"),
                    "segmentation": _opt({"type": "object"}),
                    **still,
                },
                ("media_source",),
            )
        )
    else:
        props["auto_truncate"] = _opt({"type": "boolean"})
        props["text"] = _opt(
            _object({"input_text": {"type": "string", "minLength": 1}}, ("input_text",))
        )
        props["image"] = _opt(_object({"media_source": _ref("MediaSource")}, ("media_source",)))
        props["text_image"] = _opt(
            _object(
                {
                    "media_source": _ref("MediaSource"),
                    "input_text": {"type": "string", "minLength": 1},
                },
                ("media_source", "input_text"),
            )
        )
        props["multi_input"] = _opt(
            _object(
                {
                    "input_text": _opt({"type": "string", "minLength": 1}),
                    "media_sources": _opt(
                        {
                            "type": "array",
                            "maxItems": L.MAX_MULTI_SOURCES,
                            "items": _ref("MultiInputMediaSource"),
                        }
                    ),
                }
            )
        )
    out = _object(props, ("input_type", "model_name"))
    out["description"] = "Send the input object that `input_type` names, and no other."
    return out


_DATA = {
    "type": "object",
    "required": ["embedding"],
    "properties": {
        "embedding": {"type": "array", "items": {"type": "number"}},
        "embedding_option": {
            "type": "string",
            "enum": ["visual", "audio", "transcription", "text", "fused"],
        },
        "embedding_scope": {"type": "string", "enum": ["clip", "asset", "page", "chunk"]},
        "start_sec": {"type": "number"},
        "end_sec": {"type": "number"},
    },
}
_METADATA = {
    "type": "object",
    "required": ["input_type"],
    "description": "What was embedded; none for text. Audio and video carry `embedding_options`, `embedding_scopes` and `duration`.",
    "properties": {
        "input_type": {"type": "string"},
        "input_url": {"type": "string"},
        "embedding_options": {"type": "array", "items": {"type": "string"}},
        "embedding_scopes": {"type": "array", "items": {"type": "string"}},
        "duration": {"type": "number"},
        "start_offset_sec": {"type": "number"},
        "end_offset_sec": {"type": "number"},
        "clip_length": {"type": "integer"},
        "embedding_dimension": {"type": "integer", "enum": list(L.DIMENSIONS_V35)},
    },
}
_USAGE = {
    "type": "object",
    "required": ["input_tokens", "truncated"],
    "properties": {
        "input_tokens": {"type": "object", "additionalProperties": {"type": "integer"}},
        "truncated": {"type": "boolean"},
        "truncation_reason": {"type": "string"},
    },
}
_TASK_ID = {"type": "string", "pattern": "^[0-9a-f]{24}$"}
_STATUS = {"type": "string", "enum": list(vr.TASK_STATUSES)}

SCHEMAS: dict[str, Any] = {
    "V2Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}},
            }
        },
    },
    "MediaSource": _SOURCE,
    "MultiInputMediaSource": _object(
        {
            "media_type": {"type": "string", "enum": ["image", "video", "audio", "document"]},
            "name": _opt({"type": "string"}),
            **_SOURCE["properties"],
        },
        ("media_type",),
    ),
    "CreateEmbeddingsRequest": _request(tasks=False),
    "CreateAsyncEmbeddingRequest": _request(tasks=True),
    "EmbeddingData": _DATA,
    "EmbeddingSuccessResponse": {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "array", "items": _ref("EmbeddingData")}, "usage": _USAGE, "metadata": _METADATA},
    },
    "TasksCreateResponse": {
        "type": "object",
        "required": ["_id", "status", "data"],
        "properties": {
            "_id": _TASK_ID,
            "status": {"type": "string", "enum": ["processing"]},
            "data": {"type": "array", "nullable": True, "items": _ref("EmbeddingData")},
            "metadata": {"type": "object", "properties": {"embedding_dimension": {"type": "integer"}}},
        },
    },
    "EmbeddingTaskResponse": {
        "type": "object",
        "required": ["_id", "status", "data", "created_at", "updated_at"],
        "properties": {
            "_id": _TASK_ID,
            "status": _STATUS,
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "data": {"type": "array", "nullable": True, "items": _ref("EmbeddingData"), "description": "The vectors once `ready`; null before and on failure."},
            "usage": _USAGE,
            "metadata": _METADATA,
            "error": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}, "description": "Only when `failed`."},
        },
    },
    "V2ListResponse": {
        "type": "object",
        "required": ["data", "page_info"],
        "properties": {
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["_id", "model_name", "status", "created_at", "updated_at"],
                    "description": "A task without vectors; its metadata sits under `video_embedding`, `audio_embedding` or `image_embedding`.",
                    "properties": {
                        "_id": _TASK_ID,
                        "model_name": {"type": "string"},
                        "status": _STATUS,
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                    },
                },
            },
            "page_info": {"type": "object"},
        },
    },
    "SyncEmbedForm": {
        "type": "object",
        "required": ["model_name"],
        "description": "At least one of `text`, an image (`image_url` or `image_file`) or an audio file (`audio_url` or `audio_file`); a URL wins over a file.",
        "properties": {
            "model_name": {"type": "string", "enum": list(vr.MODELS)},
            "text": {"type": "string"},
            "image_url": {"type": "string"},
            "image_file": {"type": "string", "format": "binary"},
            "audio_url": {"type": "string"},
            "audio_file": {"type": "string", "format": "binary"},
            "audio_start_offset_sec": {"type": "number", "minimum": 0},
        },
    },
    "EmbeddingResponse": {
        "type": "object",
        "required": ["model_name"],
        "properties": {
            "model_name": {"type": "string"},
            **{
                f"{k}_embedding": {
                    "type": "object",
                    "required": ["segments"],
                    "properties": {"segments": {"type": "array", "items": {"type": "object", "required": ["float"], "properties": {"float": {"type": "array", "items": {"type": "number"}}}}}, "metadata": {"type": "object"}},
                }
                for k in ("text", "image", "audio")
            },
        },
    },
}  # fmt: skip


def paths(list_parameters: list[dict[str, Any]], common: dict[str, Any]) -> dict[str, Any]:
    """The new paths; ``list_parameters`` and ``common`` (flat 400/401) come from the v1 doc."""
    v2_common = {
        "400": _v2_error("The request breaks a rule; `error.code` says which."),
        "401": _v2_error("`x-api-key` is missing or wrong (`api_key_invalid`)."),
    }
    too_large = {"413": _v2_error("The body, or a media source, is over its allowance.")}
    storage = {
        "507": _v2_error(
            "The engine's data directory cannot take the media (`insufficient_storage`)."
        )
    }
    task_id = {
        "name": "task_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "Anything but an existing task's id gives 404.",
    }
    return {
        "/embed": {
            "post": {
                "operationId": "createEmbedding",
                "summary": "v1 sync: text, image and audio embeddings",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _ref("SyncEmbedForm")}}},
                "responses": {"200": _json("EmbeddingResponse", "The embeddings."), **common, "507": _flat_error("The engine cannot store the upload.")},
            }
        },
        "/embed-v2": {
            "post": {
                "operationId": "createEmbeddings",
                "summary": "v2 sync embeddings (text, image, text+image, audio, video, multi-input)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CreateEmbeddingsRequest")}}},
                "responses": {"200": _json("EmbeddingSuccessResponse", "The embeddings."), **v2_common, **too_large, **storage},
            }
        },
        "/embed-v2/tasks": {
            "post": {
                "operationId": "createAsyncEmbeddingTask",
                "summary": "v2 task for audio, video or (Marengo 3.5) an image",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CreateAsyncEmbeddingRequest")}}},
                "responses": {"202": _json("TasksCreateResponse", "Created; it starts `processing`."), **v2_common, **too_large, **storage},
            },
            "get": {
                "operationId": "listAsyncEmbeddingTasks",
                "summary": "List v2 tasks, newest first (errors in the flat v1 shape, as documented)",
                "parameters": list_parameters,
                "responses": {"200": _json("V2ListResponse", "One page; past the end, `data` is empty."), **common},
            },
        },
        "/embed-v2/tasks/{task_id}": {
            "get": {
                "operationId": "retrieveAsyncEmbeddingTask",
                "summary": "A v2 task: status, and the vectors once `ready`",
                "parameters": [task_id],
                "responses": {"200": _json("EmbeddingTaskResponse", "The task."), "401": v2_common["401"], "404": _v2_error("No such task (or it expired).")},
            }
        },
    }  # fmt: skip
