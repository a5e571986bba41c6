"""The CLI on the Embed API v2: ``embed --api v2`` and ``embed-text`` (real subprocesses,
each starting the embedded local engine)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli.shell import run
from tests.videos import make_image, make_video
from twelvelabs_embed.results import read_results

pytestmark = pytest.mark.timeout(240)


def test_embed_api_v2_writes_the_same_rows_as_v1(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", duration=6.0, fps=10, audio=True)
    outs = {}
    for api in ("v1", "v2"):
        out = tmp_path / f"{api}.jsonl"
        proc = run(
            ["embed", str(video), "--api", api, "--clip-length", "3", "--out", str(out)], tmp_path
        )
        assert proc.returncode == 0, proc.stderr
        outs[api] = read_results(out)
    a, b = outs["v1"], outs["v2"]
    assert set(a.metadata) == set(b.metadata) and len(a) == len(b) == 4  # 2 clips x 2 options
    assert a.metadata["embedding_option"] == b.metadata["embedding_option"]
    assert a.metadata["start_offset_sec"] == b.metadata["start_offset_sec"]
    assert np.allclose(a.vectors, b.vectors, atol=1e-5)


def test_embed_text_prints_and_saves(tmp_path: Path) -> None:
    proc = run(["embed-text", "a red kite"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["model_name"] == "marengo3.0" and doc["dimension"] == 512
    assert abs(np.linalg.norm(doc["embedding"]) - 1) < 1e-5
    image = make_image(tmp_path / "p.png", width=256, height=256)
    out = tmp_path / "q.npy"
    proc = run(
        [
            "embed-text",
            "a kite",
            "--image",
            str(image),
            "--model",
            "marengo3.5",
            "--dimension",
            "128",
            "--out",
            str(out),
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert np.load(out).shape == (128,) and "wrote a 128-d vector" in proc.stderr
    bad = run(["embed-text", "x", "--dimension", "256"], tmp_path)
    assert bad.returncode != 0 and "--dimension needs --model marengo3.5" in bad.stderr
