"""The pytest plugin as a user meets it: a test file of their own, run by pytest in a
subprocess, against the session engine (this SDK and the official SDK), a marker's own
engine, and the reset between tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.timeout(300)]

USER_TESTS = """
import httpx
import pytest
from twelvelabs import TwelveLabs as OfficialTwelveLabs
from twelvelabs_embed import TwelveLabs

VIDEO = {video!r}


@pytest.fixture
def client(tl_engine):
    with TwelveLabs(api_key=tl_engine.api_key, base_url=tl_engine.base_url) as c:
        yield c


def test_retries_through_this_sdk(tl_engine, client):
    tl_engine.control.faults.add("create_task", status=503, count=2, headers={{"Retry-After": "0"}})
    client.embed.tasks.create(model_name="marengo3.0", video_file=VIDEO)
    statuses = [r.status for r in tl_engine.control.requests.list(route="create_task")]
    assert statuses == [503, 503, 200]


def test_the_reset_came_between_tests(tl_engine):
    assert tl_engine.control.faults.list() == []
    assert tl_engine.control.requests.list() == []


def test_forced_failure_through_the_official_sdk(tl_engine):
    with httpx.Client() as http:
        official = OfficialTwelveLabs(
            api_key=tl_engine.api_key, base_url=tl_engine.base_url, httpx_client=http
        )
        tl_engine.control.lifecycle.set("manual")
        with open(VIDEO, "rb") as f:
            task = official.embed.tasks.create(model_name="marengo3.0", video_file=f)
        tl_engine.control.tasks.fail(task.id, message="decode error")
        assert official.embed.tasks.status(task.id).status == "failed"


@pytest.mark.tl_engine(retention_days=1)
def test_a_marker_gives_an_own_engine(tl_engine, client):
    tl_engine.control.lifecycle.set("manual")
    task = client.embed.tasks.create(model_name="marengo3.0", video_file=VIDEO)
    tl_engine.control.clock.advance(days=1.5)
    with pytest.raises(Exception):
        client.embed.tasks.status(task.id, request_options={{"max_retries": 0}})
"""


def test_a_users_test_file(tmp_path: Path, media: dict[str, Path]) -> None:
    test_file = tmp_path / "test_user.py"
    test_file.write_text(USER_TESTS.format(video=str(media["good"])))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWELVELABS_ENGINE_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "4 passed" in proc.stdout
