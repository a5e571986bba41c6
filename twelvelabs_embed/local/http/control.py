"""``/_engine/*`` handlers: the test double's control plane (only with ``control=True``).

Parse the JSON body, call the :class:`~..control.plane.ControlPlane`, answer JSON. The
engine's API key is required like everywhere else (``auth_middleware``); a body that
cannot be understood is a 400 ``parameter_invalid`` naming the field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from ... import video_rules
from ..app_keys import CONTROL, EXECUTOR, LIFECYCLE
from ..control.faults import FaultSpecError
from ..control.lifecycle import LifecycleSpecError, TaskFamily
from ..control.limits import LimitSpecError
from ..control.plane import ControlSpecError
from .problems import ApiProblem, from_violations

FEATURES = ("faults", "tasks", "lifecycle", "clock", "rate_limits", "requests", "reset", "stats")
SPEC_ERRORS = (FaultSpecError, LimitSpecError, LifecycleSpecError, ControlSpecError)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


async def _body(request: web.Request) -> Any:
    if not request.body_exists:
        return {}
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise ApiProblem(400, "parameter_invalid", "The body is not valid JSON.") from None


def _spec(fn: Handler) -> Handler:
    """Turn a body the control plane cannot understand into a 400 naming the problem."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request)
        except SPEC_ERRORS as exc:
            raise ApiProblem(400, "parameter_invalid", str(exc)) from None

    return wrapped


async def index(request: web.Request) -> web.Response:
    return _json({"features": list(FEATURES)})


# --- faults ---------------------------------------------------------------------------


@_spec
async def add_fault(request: web.Request) -> web.Response:
    plane = request.app[CONTROL]
    rule = plane.faults.add(await _body(request), plane.clock.now_ms())
    return _json(rule.to_json(), status=201)


async def list_faults(request: web.Request) -> web.Response:
    return _json({"faults": [r.to_json() for r in request.app[CONTROL].faults.rules()]})


async def delete_faults(request: web.Request) -> web.Response:
    request.app[CONTROL].faults.clear()
    return _json({"deleted": True})


async def delete_fault(request: web.Request) -> web.Response:
    fault_id = request.match_info["fault_id"]
    if not request.app[CONTROL].faults.remove(fault_id):
        raise ApiProblem(404, "resource_not_exist", f"No fault rule with id {fault_id[:40]}.")
    return _json({"deleted": True})


# --- tasks and lifecycle -----------------------------------------------------------------


async def _task(request: web.Request) -> tuple[TaskFamily, str, str]:
    task_id = request.match_info["task_id"]
    violations = video_rules.check_task_id(task_id)
    if violations:
        raise from_violations(violations)
    found = await request.app[LIFECYCLE].find(task_id)
    if found is None:
        raise ApiProblem(404, "resource_not_exist", f"Resource with id {task_id} does not exist.")
    family, status = found
    return family, task_id, status


def _not_processing(task_id: str, status: str) -> ApiProblem:
    return ApiProblem(
        409, "task_not_processing", f"Task {task_id} is `{status}`; only a processing task moves."
    )


async def fail_task(request: web.Request) -> web.Response:
    family, task_id, status = await _task(request)
    body = await _body(request)
    if not isinstance(body, dict):
        raise ApiProblem(400, "parameter_invalid", "The body must be a JSON object.")
    broken = video_rules.file_broken()
    code, message = body.get("code", broken.code), body.get("message", broken.message)
    if not isinstance(code, str) or not code or not isinstance(message, str):
        raise ApiProblem(400, "parameter_invalid", "`code` and `message` must be strings.")
    if not await family.force_fail(task_id, code, message):
        raise _not_processing(task_id, status)
    return _json({"_id": task_id, "status": "failed"})


async def complete_task(request: web.Request) -> web.Response:
    family, task_id, status = await _task(request)
    if status != "processing":
        raise _not_processing(task_id, status)
    request.app[LIFECYCLE].release(task_id)
    return _json({"_id": task_id, "status": await family.force_complete(task_id)})


async def hold_task(request: web.Request) -> web.Response:
    _, task_id, status = await _task(request)
    if status != "processing":
        raise _not_processing(task_id, status)
    request.app[LIFECYCLE].hold(task_id)
    return _json({"_id": task_id, "held": True})


async def release_task(request: web.Request) -> web.Response:
    _, task_id, _ = await _task(request)
    request.app[LIFECYCLE].release(task_id)
    return _json({"_id": task_id, "held": False})


async def get_lifecycle(request: web.Request) -> web.Response:
    return _json(request.app[LIFECYCLE].to_json())


@_spec
async def set_lifecycle(request: web.Request) -> web.Response:
    request.app[LIFECYCLE].set(await _body(request))
    return _json(request.app[LIFECYCLE].to_json())


# --- clock, rate limits, requests ----------------------------------------------------------


async def get_clock(request: web.Request) -> web.Response:
    return _json(request.app[CONTROL].clock.describe())


@_spec
async def set_clock(request: web.Request) -> web.Response:
    plane = request.app[CONTROL]
    plane.set_clock(await _body(request))
    return _json(plane.clock.describe())


async def get_rate_limits(request: web.Request) -> web.Response:
    plane = request.app[CONTROL]
    return _json({"limits": plane.limits.to_json(plane.clock.now_ms())})


@_spec
async def set_rate_limits(request: web.Request) -> web.Response:
    plane = request.app[CONTROL]
    plane.limits.set(await _body(request), plane.clock.now_ms())
    return _json({"limits": plane.limits.to_json(plane.clock.now_ms())})


async def delete_rate_limits(request: web.Request) -> web.Response:
    request.app[CONTROL].limits.clear()
    return _json({"limits": []})


def _query_int(request: web.Request, name: str) -> int | None:
    text = request.query.get(name, "")
    if text == "":
        return None
    if not text.isascii() or not text.isdigit():
        raise ApiProblem(400, "parameter_invalid", f"`{name}` must be a whole number.")
    return int(text)


async def list_requests(request: web.Request) -> web.Response:
    entries = request.app[CONTROL].requests.entries(
        route=request.query.get("route") or None,
        status=_query_int(request, "status"),
        limit=_query_int(request, "limit"),
    )
    return _json({"requests": [e.to_json() for e in entries]})


async def delete_requests(request: web.Request) -> web.Response:
    request.app[CONTROL].requests.clear()
    return _json({"deleted": True})


# --- reset and stats -----------------------------------------------------------------------


async def reset(request: web.Request) -> web.Response:
    """Faults, limits, log, clock and lifecycle; ``{"tasks": true}`` deletes tasks too."""
    body = await _body(request)
    tasks = isinstance(body, dict) and body.get("tasks") is True
    plane = request.app[CONTROL]
    if tasks:
        plane.lifecycle.forget()
        for family in plane.lifecycle.families:
            await family.delete_all()
    plane.reset()
    return _json({"reset": True, "tasks": tasks})


async def stats(request: web.Request) -> web.Response:
    lifecycle = request.app[LIFECYCLE]
    families = {
        f.name: {"tasks": await f.counts(), "queue_length": f.queue_length()}
        for f in lifecycle.families
    }
    return _json(
        {
            "families": families,
            "queue_length": sum(f["queue_length"] for f in families.values()),
            "executor": request.app[EXECUTOR].stats(),
        }
    )
