"""Choosing the executor: the SDK and the default engine never import Ray; a missing extra
or a bad choice is a clear error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.local.executors.factory import ExecutorUnavailable


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_the_sdk_and_the_default_engine_never_import_ray(tmp_path: Path) -> None:
    code = f"""
import asyncio, sys
import twelvelabs_embed
from twelvelabs_embed import AsyncTwelveLabs, TwelveLabs
from twelvelabs_embed.local import LocalEngine
from twelvelabs_embed.local import app, serve

async def main():
    async with LocalEngine(data_dir={str(tmp_path)!r}, workers=1) as engine:
        assert engine.base_url

if __name__ == "__main__":
    asyncio.run(main())
    print(sorted(m for m in sys.modules if m == "ray" or m.startswith("ray.")))
"""
    out = run_python(code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_the_ray_executor_without_the_extra_says_what_to_install(tmp_path: Path) -> None:
    code = f"""
import asyncio, sys
sys.modules["ray"] = None  # as if the ray extra were not installed
from twelvelabs_embed.local import LocalEngine
from twelvelabs_embed.local.executors.factory import ExecutorUnavailable

async def main():
    try:
        async with LocalEngine(data_dir={str(tmp_path)!r}, executor="ray"):
            pass
    except ExecutorUnavailable as exc:
        print(exc)

asyncio.run(main())
"""
    out = run_python(code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "pip install 'twelvelabs-embed[local,ray]'" in out.stdout


async def test_an_unknown_executor_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="executor"):
        async with LocalEngine(data_dir=tmp_path, executor="dask"):
            pass


def test_the_missing_extra_error_is_an_os_error() -> None:
    """``serve`` reports OSErrors as "cannot start: ..." rather than a traceback."""
    assert issubclass(ExecutorUnavailable, OSError)


def test_ray_flags_without_the_ray_executor_are_refused(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "twelvelabs_embed.local", "--data-dir", str(tmp_path),
         "--ray-address", "auto"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    assert "--ray-address and --ray-shared-* need --executor ray" in out.stderr
