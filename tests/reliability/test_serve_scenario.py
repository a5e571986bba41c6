"""``twelvelabs-embed serve --control --scenario file.json`` as a real process: the file's
faults, rate limits, lifecycle and clock are in force from the very first request, and
its seed makes probabilistic faults break the same requests on every run."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.engine_proc import EngineProcess
from tests.videos import make_video

pytestmark = [pytest.mark.timeout(120)]

FROZEN_AT = "2026-01-01T00:00:00Z"
SCENARIO: dict[str, Any] = {
    "faults": [
        {"route": "list_tasks", "action": {"status": 503, "headers": {"Retry-After": "0"}}, "count": 1},
        {"route": "task_status", "action": {"status": 500}, "probability": 0.5},
    ],
    "rate_limits": {"limits": [{"route": "create_task", "dimension": "requests", "limit": 2, "window_sec": 60}]},
    "lifecycle": {"mode": "manual"},
    "clock": {"action": "freeze", "at": FROZEN_AT},
}  # fmt: skip


def serve_command() -> list[str]:
    """The console script installed next to this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("twelvelabs-embed")
    assert script.exists(), script
    return [str(script), "serve"]


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("scenario-media")
    return make_video(d / "clip.mp4", width=480, height=360, duration=4.5, fps=8)


def start(tmp: Path, name: str, scenario: dict[str, Any], *args: str) -> EngineProcess:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(scenario))
    return EngineProcess(
        tmp / name,
        extra_args=["--control", "--scenario", str(path), *args],
        command=serve_command(),
    )


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    proc = start(tmp_path, "scenario", SCENARIO, "--seed", "7")
    try:
        yield proc
    finally:
        proc.stop()


def test_the_scenario_holds_from_the_first_request(engine: EngineProcess, video: Path) -> None:
    s, url = engine.session, engine.base_url
    # the very first API request meets the scenario's fault, the next one does not
    first = s.get(url + "/embed/tasks", timeout=30)
    assert first.status_code == 503 and first.json()["code"] == "service_unavailable"
    assert first.headers["X-Engine-Injected"] == "f1" and first.headers["Retry-After"] == "0"
    assert s.get(url + "/embed/tasks", timeout=30).status_code == 200

    # the limit and its headers count from the first create; the clock is frozen
    task_id = engine.create(video)
    log = s.get(url.rsplit("/", 1)[0] + "/_engine/requests?route=create_task", timeout=30)
    (entry,) = log.json()["requests"]
    assert entry["task_id"] == task_id and entry["at_ms"] == _epoch_ms(FROZEN_AT)
    files = {"model_name": (None, "marengo3.0"), "video_file": ("v.mp4", video.read_bytes())}
    second = s.post(url + "/embed/tasks", files=files, timeout=60)
    assert second.status_code == 200
    assert second.headers["x-ratelimit-request-limit"] == "2"
    assert second.headers["x-ratelimit-request-remaining"] == "0"
    third = s.post(url + "/embed/tasks", files=files, timeout=60)
    assert third.status_code == 429 and third.json()["code"] == "too_many_requests"
    assert int(third.headers["Retry-After"]) >= 1

    # manual lifecycle: the task stays processing; timestamps come from the frozen clock
    retrieved = s.get(f"{url}/embed/tasks/{task_id}", timeout=30)
    assert retrieved.status_code == 200, retrieved.text
    body = retrieved.json()
    assert body["status"] == "processing"
    assert _epoch_ms(body["created_at"]) == _epoch_ms(FROZEN_AT)
    lifecycle = s.get(url.rsplit("/", 1)[0] + "/_engine/lifecycle", timeout=30).json()
    assert lifecycle["mode"] == "manual" and task_id in lifecycle["parked"]


def _status_draws(engine: EngineProcess, task_id: str, n: int) -> list[int]:
    url = f"{engine.base_url}/embed/tasks/{task_id}/status"
    return [engine.session.get(url, timeout=30).status_code for _ in range(n)]


def test_the_seed_breaks_the_same_requests_every_run(tmp_path: Path, video: Path) -> None:
    """The scenario's own ``seed`` (here) and ``--seed`` (the fixture) both reproduce."""
    runs = []
    for name in ("one", "two"):
        proc = start(tmp_path, name, {**SCENARIO, "seed": 11})
        try:
            runs.append(_status_draws(proc, proc.create(video), 16))
        finally:
            proc.stop()
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}, "probability 0.5 over 16 draws, seeded"


def _epoch_ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
