"""The control plane's part of the OpenAPI document (served only with ``control=True``).

Each ``/_engine/...`` path names its own server (``/``), since the API's server is
``/v1.3``. Bodies are JSON objects described field by field in ``docs/testing.md``.
"""

from __future__ import annotations

from typing import Any

_OBJECT = {"type": "object", "additionalProperties": True}
_JSON = {"application/json": {"schema": _OBJECT}}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

# path, method, operationId, summary, takes a body, extra statuses
_OPERATIONS: list[tuple[str, str, str, str, bool, tuple[str, ...]]] = [
    ("", "get", "engineFeatures", "What this control plane offers", False, ()),
    ("/faults", "post", "addFault", "Add a fault rule (route, method, action, count, skip, probability, phase, ttl_sec)", True, ("400",)),
    ("/faults", "get", "listFaults", "Fault rules with their hits", False, ()),
    ("/faults", "delete", "deleteFaults", "Remove every fault rule", False, ()),
    ("/faults/{fault_id}", "delete", "deleteFault", "Remove one fault rule", False, ("404",)),
    ("/tasks/{task_id}/fail", "post", "failTask", "Fail a processing task now ({code, message})", True, ("400", "404", "409")),
    ("/tasks/{task_id}/complete", "post", "completeTask", "Process a task now, whatever the lifecycle", False, ("400", "404", "409")),
    ("/tasks/{task_id}/hold", "post", "holdTask", "Keep a task processing until released", False, ("400", "404", "409")),
    ("/tasks/{task_id}/release", "post", "releaseTask", "Let a held task run", False, ("400", "404")),
    ("/lifecycle", "get", "getLifecycle", "The lifecycle mode, delay, holds and parked tasks", False, ()),
    ("/lifecycle", "put", "setLifecycle", "Set {mode: auto|manual, processing_delay_ms}", True, ("400",)),
    ("/clock", "get", "getClock", "The engine clock", False, ()),
    ("/clock", "post", "setClock", "freeze (at), advance (seconds) or real", True, ("400",)),
    ("/rate-limits", "get", "getRateLimits", "Rate limits and what each window used", False, ()),
    ("/rate-limits", "put", "setRateLimits", "Replace the rate limits ({limits: [...]})", True, ("400",)),
    ("/rate-limits", "delete", "deleteRateLimits", "Remove every rate limit", False, ()),
    ("/requests", "get", "listRequests", "The request log (route, status, limit filters)", False, ("400",)),
    ("/requests", "delete", "deleteRequests", "Empty the request log", False, ()),
    ("/reset", "post", "resetEngine", "Reset faults, limits, log, clock, lifecycle ({tasks: true} deletes tasks)", True, ()),
    ("/stats", "get", "engineStats", "Tasks by status, queue length, executor nodes and workers", False, ()),
]  # fmt: skip


def control_paths(prefix: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, method, op_id, summary, has_body, extra in _OPERATIONS:
        responses: dict[str, Any] = {
            "200" if method != "post" or path != "/faults" else "201": {
                "description": "OK",
                "content": _JSON,
            },
            "401": {"description": "`x-api-key` is missing or wrong.", "content": _ERROR},
        }
        for status in extra:
            responses[status] = {"description": "Refused; see `code`.", "content": _ERROR}
        operation: dict[str, Any] = {
            "operationId": op_id,
            "summary": summary,
            "tags": ["engine control"],
            "responses": responses,
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in ("task_id", "fault_id")
            if "{" + name + "}" in path
        ]
        if params:
            operation["parameters"] = params
        if has_body:
            operation["requestBody"] = {"required": False, "content": _JSON}
        item = paths.setdefault(prefix + path, {"servers": [{"url": "/"}]})
        item[method] = operation
    return paths
