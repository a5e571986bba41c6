"""The OpenAPI paths and schemas of ``/assets`` and ``/assets/multipart-uploads``,
built from ``rules.assets`` (the limits the engine enforces); ``openapi.py`` adds them."""

from __future__ import annotations

from typing import Any

from ...rules import assets as R

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_STR, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_TIME = {"type": "string", "format": "date-time"}
_400 = {"400": _error("The request is invalid; `code` says which rule was broken.")}
_401 = {"401": _error("`x-api-key` is missing or wrong (`api_key_invalid`).")}
_404 = {"404": _error("No such asset or upload session (`resource_not_exist`).")}
_413 = {"413": _error("The request body is too large.")}
_PAGE = [
    {"name": "page", "in": "query", "required": False, "allowEmptyValue": True,
     "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1, "default": 1}},
    {"name": "page_limit", "in": "query", "required": False, "allowEmptyValue": True,
     "schema": {"type": "integer", "minimum": 1, "maximum": R.MAX_URLS_PER_REQUEST, "default": 10}},
]  # fmt: skip
_UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True, "schema": _STR}
_ASSET_ID = {"name": "asset_id", "in": "path", "required": True, "schema": _STR}
_META = {"type": "object", "additionalProperties": {"nullable": True}}
_META_VALUE = {
    "nullable": True,
    "anyOf": [_STR, {"type": "number"}, _BOOL, {"type": "array", "items": _STR}],
}
_PAGE_INFO = {
    "type": "object",
    "properties": {k: _INT for k in ("limit_per_page", "page", "total_page", "total_results")},
}
_URL = {
    "type": "object",
    "required": ["chunk_index", "url", "expires_at"],
    "properties": {"chunk_index": _INT, "url": _STR, "expires_at": _TIME},
}

SCHEMAS: dict[str, Any] = {
    "Asset": {
        "type": "object",
        "required": ["_id", "method", "status", "created_at"],
        "properties": {
            "_id": _STR,
            "method": {"type": "string", "enum": ["direct", "url", "multipart"]},
            "status": {"type": "string", "enum": list(R.ASSET_STATUSES)},
            "filename": {"type": "string", "nullable": True},
            "file_type": {"type": "string", "nullable": True},
            "created_at": _TIME,
            "user_metadata": _META,
            "size": _INT,
            "duration": {"type": "number"},
            "technical_metadata": {"type": "object"},
            "error": {"type": "object", "required": ["message"], "properties": {"message": _STR}},
        },
    },
    "AssetList": {
        "type": "object",
        "required": ["data", "page_info"],
        "properties": {"data": {"type": "array", "items": _ref("Asset")}, "page_info": _PAGE_INFO},
    },
    "AssetForm": {
        "type": "object",
        "required": ["method"],
        "properties": {
            "method": {"type": "string", "enum": list(R.ASSET_METHODS)},
            "file": {"type": "string", "format": "binary"},
            "url": {"type": "string", "description": "Required for `url` (only public addresses are fetched)."},
            "filename": _STR,
            "enable_hls": _BOOL,
            "enable_thumbnail": _BOOL,
            "user_metadata": {"type": "string", "description": "A JSON object, as a string."},
        },
    },
    "CreateUpload": {
        "type": "object",
        "required": ["filename", "type", "total_size"],
        "properties": {
            "filename": {"type": "string", "minLength": 1, "maxLength": R.MAX_FILENAME, "pattern": "^[^\\x00-\\x1f]*\\S[^\\x00-\\x1f]*$"},
            "type": {"type": "string", "enum": list(R.UPLOAD_TYPES)},
            "total_size": {"type": "integer", "minimum": 1, "maximum": R.MULTIPART_MAX_BYTES, "description": "Images: at most 32 MB."},
            "enable_hls": _BOOL,
            "enable_thumbnail": _BOOL,
            "user_metadata": {"type": "object", "additionalProperties": _META_VALUE},
        },
    },
    "UploadCreated": {
        "type": "object",
        "required": ["upload_id", "asset_id", "upload_urls", "chunk_size", "total_chunks", "expires_at"],
        "properties": {
            "upload_id": _STR, "asset_id": _STR, "upload_urls": {"type": "array", "items": _URL},
            "chunk_size": _INT, "total_chunks": _INT, "expires_at": _TIME,
        },
    },
    "Report": {
        "type": "object",
        "required": ["completed_chunks"],
        "properties": {
            "completed_chunks": {
                "type": "array", "minItems": 1, "maxItems": R.MAX_REPORT_CHUNKS,
                "items": {
                    "type": "object",
                    "required": ["chunk_index", "proof", "proof_type", "chunk_size"],
                    "properties": {"chunk_index": {"type": "integer", "minimum": 1}, "proof": _STR,
                                   "proof_type": {"type": "string", "enum": ["etag"]}, "chunk_size": _INT},
                },
            },
        },
    },
    "ReportResult": {
        "type": "object",
        "required": ["asset_id", "processed_chunks", "duplicate_chunks", "total_completed"],
        "properties": {
            "url": _STR, "asset_id": _STR, "processed_chunks": _INT, "duplicate_chunks": _INT,
            "total_completed": _INT,
            "failed_chunks": {"type": "array", "items": _INT, "description": "Chunks whose proof did not match (this engine's addition); upload them again."},
        },
    },
    "UrlRange": {
        "type": "object",
        "required": ["start", "count"],
        "properties": {"start": {"type": "integer", "minimum": 1}, "count": {"type": "integer", "minimum": 1, "maximum": R.MAX_URLS_PER_REQUEST}},
    },
    "MoreUrls": {
        "type": "object",
        "required": ["upload_id", "start_index", "count", "upload_urls"],
        "properties": {"upload_id": _STR, "start_index": _INT, "count": _INT,
                       "upload_urls": {"type": "array", "items": _URL}, "generated_at": _TIME, "expires_at": _TIME},
    },
    "UploadStatus": {
        "type": "object",
        "required": ["upload_id", "status", "uploaded_chunks", "chunks_completed", "total_size"],
        "properties": {
            "upload_id": _STR,
            "status": {"type": "string", "enum": list(R.UPLOAD_STATUSES)},
            "uploaded_chunks": {"type": "array", "items": {
                "type": "object", "required": ["index", "status"],
                "properties": {"index": _INT, "status": {"type": "string", "enum": list(R.CHUNK_STATUSES)},
                               "uploaded_at": _TIME, "updated_at": _TIME, "error": _STR},
            }},
            "chunks_completed": _INT, "chunks_failed": _INT, "chunks_pending": _INT,
            "page_info": _PAGE_INFO, "total_size": _INT, "uploaded_size": _INT,
            "created_at": _TIME, "updated_at": _TIME,
        },
    },
    "IncompleteUploads": {
        "type": "object",
        "required": ["data", "page_info"],
        "properties": {
            "data": {"type": "array", "items": {
                "type": "object",
                "required": ["upload_id", "status", "total_size", "chunk_size", "total_chunks"],
                "properties": {"upload_id": _STR, "status": {"type": "string", "enum": list(R.UPLOAD_STATUSES)},
                               "total_size": _INT, "chunk_size": _INT, "total_chunks": _INT,
                               "created_at": _TIME, "expires_at": _TIME},
            }},
            "page_info": _PAGE_INFO,
        },
    },
}  # fmt: skip


def paths() -> dict[str, Any]:
    return {
        "/assets": {
            "post": {
                "operationId": "createAsset",
                "summary": f"Create an asset from a local file (up to {R.DIRECT_MAX_BYTES // R.MB} MB) or a public URL; it starts `processing`",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _ref("AssetForm")}}},
                "responses": {"201": _ok("Asset", "Created"), **_400, **_401},
            },
            "get": {
                "operationId": "listAssets",
                "summary": "List assets, newest first",
                "parameters": [*_PAGE,
                    {"name": "asset_ids", "in": "query", "required": False, "allowEmptyValue": True, "schema": {"type": "array", "items": {"type": "string", "pattern": "^[0-9a-f]{24}$"}, "maxItems": 50}, "style": "form", "explode": True},
                    {"name": "asset_types", "in": "query", "required": False, "allowEmptyValue": True, "schema": {"type": "array", "items": {"type": "string", "enum": list(R.ASSET_TYPES)}}, "style": "form", "explode": True},
                    {"name": "filename", "in": "query", "required": False, "allowEmptyValue": True, "schema": _STR}],
                "responses": {"200": _ok("AssetList"), **_400, **_401},
            },
        },
        "/assets/{asset_id}": {
            "get": {
                "operationId": "retrieveAsset",
                "parameters": [_ASSET_ID],
                "responses": {"200": _ok("Asset"), **_401, **_404},
            },
            "delete": {
                "operationId": "deleteAsset",
                "summary": "Delete an asset (409 while a task still reads it)",
                "parameters": [_ASSET_ID, {"name": "force", "in": "query", "required": False, "schema": _BOOL}],
                "responses": {"204": {"description": "Deleted"}, **_400, **_401, **_404,
                              "409": _error("A task still processing uses the asset (`asset_in_use`).")},
            },
        },
        "/assets/multipart-uploads": {
            "post": {
                "operationId": "createMultipartUpload",
                "summary": f"Start a multipart upload (video/audio up to {R.MULTIPART_MAX_BYTES // R.GB} GB, images {R.IMAGE_MAX_BYTES // R.MB} MB)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CreateUpload")}}},
                "responses": {"201": _ok("UploadCreated", "Created"), **_400, **_401, **_413},
            },
            "get": {
                "operationId": "listIncompleteUploads",
                "parameters": _PAGE,
                "responses": {"200": _ok("IncompleteUploads"), **_400, **_401},
            },
        },
        "/assets/multipart-uploads/{upload_id}": {
            "get": {
                "operationId": "getUploadStatus",
                "parameters": [_UPLOAD_ID, *_PAGE],
                "responses": {"200": _ok("UploadStatus"), **_400, **_401, **_404},
            },
            "post": {
                "operationId": "reportChunkBatch",
                "summary": "Report uploaded chunks with their ETags; the last one completes the upload",
                "parameters": [_UPLOAD_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Report")}}},
                "responses": {"200": _ok("ReportResult"), **_400, **_401, **_404, **_413},
            },
        },
        "/assets/multipart-uploads/{upload_id}/presigned-urls": {
            "post": {
                "operationId": "getAdditionalPresignedUrls",
                "parameters": [_UPLOAD_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("UrlRange")}}},
                "responses": {"200": _ok("MoreUrls"), **_400, **_401, **_404, **_413},
            },
        },
        "/assets/multipart-uploads/{upload_id}/chunks/{chunk_index}": {
            "put": {
                "operationId": "putChunk",
                "summary": "A presigned chunk URL: the signature is the credential (no `x-api-key`)",
                "security": [],
                "parameters": [
                    _UPLOAD_ID,
                    {"name": "chunk_index", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}},
                    {"name": "expires", "in": "query", "required": True, "schema": _STR},
                    {"name": "signature", "in": "query", "required": True, "schema": _STR},
                    {"name": "Content-MD5", "in": "header", "required": False, "schema": _STR},
                ],
                "requestBody": {"required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                "responses": {
                    "200": {"description": "Stored; `ETag` is the chunk's MD5 in quotes.", "headers": {"ETag": {"schema": _STR, "required": True}}},
                    **_400, **_404,
                    "403": _error("The signature is wrong (`signature_invalid`) or expired (`presigned_url_expired`)."),
                    "409": _error("The chunk is already completed (`chunk_already_completed`)."),
                },
            },
        },
    }  # fmt: skip
