"""Shared pieces for the bulk job tests: tiny real videos, a local engine, a client."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.videos import make_video
from twelvelabs_embed import AsyncTwelveLabs


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWELVELABS_BASE_URL", raising=False)
    monkeypatch.delenv("TWELVE_LABS_API_KEY", raising=False)


@pytest.fixture(scope="session")
def tiny_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small valid video (360x360, 4.2 s, 5 fps); tests copy it under other names."""
    return make_video(
        tmp_path_factory.mktemp("tiny") / "tiny.mp4", width=360, height=360, duration=4.2, fps=5
    )


def copies(video: Path, folder: Path, n: int, prefix: str = "v") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        target = folder / f"{prefix}{i:03d}.mp4"
        shutil.copyfile(video, target)
        out.append(target)
    return out


def engine_creates(db: Path) -> dict[str, int]:
    """Tasks per uploaded file name, read from the engine's own SQLite: the server's count."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT input_filename, COUNT(*) FROM tasks GROUP BY input_filename")
        return dict(rows.fetchall())
    finally:
        conn.close()


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[object]:
    from twelvelabs_embed.local.engine import LocalEngine

    async with LocalEngine(data_dir=tmp_path / "engine", workers=2) as eng:
        yield eng


@pytest.fixture
async def client(engine: object) -> AsyncIterator[AsyncTwelveLabs]:
    async with AsyncTwelveLabs(
        engine.api_key,  # type: ignore[attr-defined]
        base_url=engine.base_url,  # type: ignore[attr-defined]
        timeout=30,
    ) as c:
        yield c
