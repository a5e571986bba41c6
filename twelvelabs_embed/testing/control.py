"""A typed client for the engine's ``/_engine/`` control plane, async and sync.

    control = AsyncEngineControl(engine.base_url, engine.api_key)
    await control.faults.add("create_task", status=503, count=2)

    control = EngineControl(engine.base_url, engine.api_key)   # the same, blocking
    control.tasks.fail(task_id, message="decode error")

A refusal raises the package's usual :class:`~twelvelabs_embed.errors.ApiError` subclass
(``BadRequestError`` for a body the engine cannot read, ``NotFoundError`` for an unknown
task, ``ConflictError`` for a task that is not processing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

import aiohttp
import attrs
import orjson

from .._portal import Portal
from ..errors import error_class_for

P = ParamSpec("P")
T = TypeVar("T")
CONTROL_PATH = "/_engine"


@attrs.frozen
class Fault:
    """A fault rule as the engine holds it: ``hits`` so far, ``remaining`` strikes."""

    id: str
    route: str
    method: str | None
    action: Mapping[str, Any]
    count: int | None
    skip: int
    probability: float
    phase: str
    hits: int
    seen: int
    remaining: int | None


@attrs.frozen
class UploadDigest:
    filename: str | None
    size: int
    sha256: str


@attrs.frozen
class LoggedRequest:
    """One request the engine served (never the bytes of an upload, never a header)."""

    id: int
    at_ms: int
    method: str
    path: str
    route: str | None
    query: Sequence[tuple[str, str]]
    """The query's pairs in the order sent (repeated names repeat)."""
    status: int
    duration_ms: float
    task_id: str | None
    form: Mapping[str, str] | None
    upload: UploadDigest | None
    fault: str | None
    rate_limited: bool
    dropped: bool


@attrs.frozen
class ClockState:
    mode: str
    now_ms: int
    offset_ms: int

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now_ms / 1000, tz=dt.timezone.utc)


def _fault(d: Mapping[str, Any]) -> Fault:
    values: dict[str, Any] = {f.name: d.get(f.name) for f in attrs.fields(Fault)}
    return Fault(**values)


def _logged(d: Mapping[str, Any]) -> LoggedRequest:
    values: dict[str, Any] = {f.name: d.get(f.name) for f in attrs.fields(LoggedRequest)}
    if values["upload"] is not None:
        values["upload"] = UploadDigest(**values["upload"])
    values["query"] = [(str(k), str(v)) for k, v in values["query"] or []]
    return LoggedRequest(**values)


def _root(base_url: str) -> str:
    """``http://host:port`` from the engine's root or its API URL (``.../v1.3``)."""
    url = base_url.rstrip("/")
    head, _, last = url.rpartition("/")
    return head if last.startswith("v") and last[1:2].isdigit() and "://" in head else url


class _Http:
    """One aiohttp session, opened on first use inside the running loop."""

    def __init__(self, base_url: str, api_key: str, timeout: float) -> None:
        self._root = _root(base_url)
        self._headers = {"x-api-key": api_key}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def call(
        self, method: str, path: str, body: Any = None, params: Mapping[str, str] | None = None
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        data = orjson.dumps(body) if body is not None else None
        headers = {"content-type": "application/json"} if data is not None else None
        async with self._session.request(
            method, self._root + CONTROL_PATH + path, data=data, headers=headers, params=params
        ) as resp:
            raw = await resp.read()
            parsed: Any = orjson.loads(raw) if raw else None
            if resp.status >= 400:
                code = parsed.get("code") if isinstance(parsed, dict) else None
                message = parsed.get("message") if isinstance(parsed, dict) else None
                cls = error_class_for(resp.status, code)
                raise cls(
                    str(message or raw[:200]),
                    status_code=resp.status,
                    code=code,
                    body=parsed,
                    headers=dict(resp.headers),
                )
            return parsed

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


# --- async -------------------------------------------------------------------------------


class AsyncFaults:
    def __init__(self, http: _Http) -> None:
        self._http = http

    async def add(
        self,
        route: str = "*",
        *,
        method: str | None = None,
        status: int | None = None,
        code: str | None = None,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
        cut_body_after_bytes: int | None = None,
        drop_connection: bool = False,
        latency_ms: int = 0,
        abort_upload_after_bytes: int | None = None,
        count: int | None = None,
        skip: int = 0,
        probability: float = 1.0,
        phase: Literal["before", "after"] = "before",
        ttl_sec: float | None = None,
    ) -> Fault:
        """Break matching requests: answer ``status`` (with ``code``, ``message`` and
        ``headers``), drop the connection, add latency, or cut an upload off after some
        bytes. ``count`` strikes then retires (``None`` = forever), after letting ``skip``
        pass; ``phase="after"`` does the work first (the task exists) and loses the answer.
        ``body`` replaces the platform's error JSON: a string is sent as it is (as
        ``text/plain`` unless ``content_type`` says otherwise), anything else as JSON;
        ``cut_body_after_bytes`` sends only that much of the answer's body, then drops.
        """
        action: dict[str, Any] = {}
        if status is not None:
            action.update(
                status=status,
                code=code,
                message=message,
                headers=dict(headers or {}),
                body=body,
                content_type=content_type,
                cut_body_after_bytes=cut_body_after_bytes,
            )
            action = {k: v for k, v in action.items() if v is not None}
        if drop_connection:
            action["drop_connection"] = True
        if latency_ms:
            action["latency_ms"] = latency_ms
        if abort_upload_after_bytes is not None:
            action["abort_upload_after_bytes"] = abort_upload_after_bytes
        rule: dict[str, Any] = {
            "route": route,
            "action": action,
            "count": count,
            "skip": skip,
            "probability": probability,
            "phase": phase,
        }
        if method is not None:
            rule["method"] = method
        if ttl_sec is not None:
            rule["ttl_sec"] = ttl_sec
        return _fault(await self._http.call("POST", "/faults", rule))

    async def list(self) -> list[Fault]:
        return [_fault(f) for f in (await self._http.call("GET", "/faults"))["faults"]]

    async def delete(self, fault_id: str) -> None:
        await self._http.call("DELETE", f"/faults/{fault_id}")

    async def clear(self) -> None:
        await self._http.call("DELETE", "/faults")


class AsyncTasks:
    def __init__(self, http: _Http) -> None:
        self._http = http

    async def fail(
        self, task_id: str, *, code: str = "video_file_broken", message: str | None = None
    ) -> None:
        """Fail a ``processing`` task now (it answers ``failed`` with this error)."""
        body: dict[str, Any] = {"code": code}
        if message is not None:
            body["message"] = message
        await self._http.call("POST", f"/tasks/{task_id}/fail", body)

    async def complete(self, task_id: str) -> str:
        """Do a ``processing`` task's work now, whatever the lifecycle; its final status."""
        result = await self._http.call("POST", f"/tasks/{task_id}/complete")
        return str(result["status"])

    async def hold(self, task_id: str) -> None:
        """Keep the task ``processing`` until :meth:`release` (or ``complete``/``fail``)."""
        await self._http.call("POST", f"/tasks/{task_id}/hold")

    async def release(self, task_id: str) -> None:
        await self._http.call("POST", f"/tasks/{task_id}/release")


class AsyncLifecycle:
    def __init__(self, http: _Http) -> None:
        self._http = http

    async def set(
        self,
        mode: Literal["auto", "manual"] | None = None,
        *,
        processing_delay_ms: int | None = None,
    ) -> dict[str, Any]:
        """``manual`` keeps new tasks processing until completed, failed or set back to
        ``auto``; ``processing_delay_ms`` delays each task's work."""
        body: dict[str, Any] = {}
        if mode is not None:
            body["mode"] = mode
        if processing_delay_ms is not None:
            body["processing_delay_ms"] = processing_delay_ms
        result: dict[str, Any] = await self._http.call("PUT", "/lifecycle", body)
        return result

    async def get(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._http.call("GET", "/lifecycle")
        return result


class AsyncClock:
    def __init__(self, http: _Http) -> None:
        self._http = http

    async def get(self) -> ClockState:
        return ClockState(**await self._http.call("GET", "/clock"))

    async def freeze(self, at: dt.datetime | str | None = None) -> ClockState:
        """Stop the engine clock at ``at`` (an aware datetime or RFC 3339), or now."""
        body: dict[str, Any] = {"action": "freeze"}
        if isinstance(at, dt.datetime):
            body["at"] = at.astimezone(dt.timezone.utc).isoformat()
        elif at is not None:
            body["at"] = at
        return ClockState(**await self._http.call("POST", "/clock", body))

    async def advance(self, seconds: float = 0.0, *, days: float = 0.0) -> ClockState:
        """Move the engine clock forward (``days=7`` passes the retention window)."""
        body = {"action": "advance", "seconds": seconds + days * 86400}
        return ClockState(**await self._http.call("POST", "/clock", body))

    async def real(self) -> ClockState:
        return ClockState(**await self._http.call("POST", "/clock", {"action": "real"}))


class AsyncRateLimits:
    def __init__(self, http: _Http) -> None:
        self._http = http

    async def set(self, limits: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Replace every limit, e.g. ``[{"route": "create_task", "dimension": "requests",
        "limit": 5, "window_sec": 60}, {"route": "create_task", "dimension": "duration",
        "limit_minutes": 30, "window_sec": 3600}]``."""
        result = await self._http.call("PUT", "/rate-limits", {"limits": [dict(x) for x in limits]})
        return list(result["limits"])

    async def get(self) -> list[dict[str, Any]]:
        return list((await self._http.call("GET", "/rate-limits"))["limits"])

    async def clear(self) -> None:
        await self._http.call("DELETE", "/rate-limits")


class AsyncRequests:
    def __init__(self, http: _Http) -> None:
        self._http = http

    async def list(
        self, *, route: str | None = None, status: int | None = None, limit: int | None = None
    ) -> list[LoggedRequest]:
        """Logged requests, oldest first (``limit`` keeps the newest)."""
        params = {
            k: str(v)
            for k, v in (("route", route), ("status", status), ("limit", limit))
            if v is not None
        }
        result = await self._http.call("GET", "/requests", params=params)
        return [_logged(e) for e in result["requests"]]

    async def clear(self) -> None:
        await self._http.call("DELETE", "/requests")


class AsyncEngineControl:
    """The control plane of an engine started with ``control=True``.

    Args:
        base_url: the engine's API URL (``engine.base_url``) or its root.
        api_key: the engine's API key (``engine.api_key``).
    """

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 120.0) -> None:
        self._http = _Http(base_url, api_key, timeout)
        self.faults = AsyncFaults(self._http)
        self.tasks = AsyncTasks(self._http)
        self.lifecycle = AsyncLifecycle(self._http)
        self.clock = AsyncClock(self._http)
        self.rate_limits = AsyncRateLimits(self._http)
        self.requests = AsyncRequests(self._http)

    async def reset(self, *, tasks: bool = False) -> None:
        """Faults, rate limits, the request log, the clock and the lifecycle back to the
        start; ``tasks=True`` deletes every task too."""
        await self._http.call("POST", "/reset", {"tasks": tasks})

    async def stats(self) -> dict[str, Any]:
        """Tasks by status, queue length, and the executor's nodes and workers."""
        result: dict[str, Any] = await self._http.call("GET", "/stats")
        return result

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncEngineControl:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# --- sync: the same methods, run on a private loop (``_portal.Portal``) ------------------


def _blocking(
    method: Callable[Concatenate[Any, P], Awaitable[T]],
) -> Callable[Concatenate[Any, P], T]:
    name = method.__name__

    def call(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> T:
        result: T = self._portal.call(getattr(self._async, name), *args, **kwargs)
        return result

    call.__name__ = name
    call.__qualname__ = method.__qualname__
    call.__doc__ = method.__doc__
    return call


class _SyncPart:
    def __init__(self, async_part: Any, portal: Portal) -> None:
        self._async = async_part
        self._portal = portal


class Faults(_SyncPart):
    add = _blocking(AsyncFaults.add)
    list = _blocking(AsyncFaults.list)
    delete = _blocking(AsyncFaults.delete)
    clear = _blocking(AsyncFaults.clear)


class Tasks(_SyncPart):
    fail = _blocking(AsyncTasks.fail)
    complete = _blocking(AsyncTasks.complete)
    hold = _blocking(AsyncTasks.hold)
    release = _blocking(AsyncTasks.release)


class Lifecycle(_SyncPart):
    set = _blocking(AsyncLifecycle.set)
    get = _blocking(AsyncLifecycle.get)


class Clock(_SyncPart):
    get = _blocking(AsyncClock.get)
    freeze = _blocking(AsyncClock.freeze)
    advance = _blocking(AsyncClock.advance)
    real = _blocking(AsyncClock.real)


class RateLimits(_SyncPart):
    set = _blocking(AsyncRateLimits.set)
    get = _blocking(AsyncRateLimits.get)
    clear = _blocking(AsyncRateLimits.clear)


class Requests(_SyncPart):
    list = _blocking(AsyncRequests.list)
    clear = _blocking(AsyncRequests.clear)


class EngineControl:
    """:class:`AsyncEngineControl`, blocking; ``close()`` (or ``with``) when done."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 120.0) -> None:
        self._async = AsyncEngineControl(base_url, api_key, timeout=timeout)
        self._portal = Portal(self._async.aclose, name="twelvelabs-engine-control")
        self.faults = Faults(self._async.faults, self._portal)
        self.tasks = Tasks(self._async.tasks, self._portal)
        self.lifecycle = Lifecycle(self._async.lifecycle, self._portal)
        self.clock = Clock(self._async.clock, self._portal)
        self.rate_limits = RateLimits(self._async.rate_limits, self._portal)
        self.requests = Requests(self._async.requests, self._portal)

    reset = _blocking(AsyncEngineControl.reset)
    stats = _blocking(AsyncEngineControl.stats)

    def close(self) -> None:
        self._portal.close(self._async.aclose)

    def __enter__(self) -> EngineControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
