"""Media fuzzing: truncated and bit-flipped videos in three containers, wrong
extensions, zero-length and audio-only files, an image, rotation metadata and a variable
frame rate. Each upload ends with a platform error code (at create, or on the failed
task) or a correct result, and the worker pool keeps serving the next good video.
"""

from __future__ import annotations

import math
import random
import struct
import time
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import requests

from tests.videos import make_audio_only, make_video
from twelvelabs_embed.local.app_keys import EXECUTOR, PROBE_EXECUTOR
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.media_probe import probe_video

pytestmark = pytest.mark.timeout(150)

KEY = "tlk_media"
VIDEO_CODES = {
    "video_file_broken",
    "video_duration_too_short",
    "video_duration_too_long",
    "video_resolution_too_low",
    "video_resolution_too_high",
    "video_resolution_invalid_aspect_ratio",
}
TRUNCATE_AT = (0.05, 0.25, 0.5, 0.75, 0.95, 0.999)
FLIPS = (1, 8, 64, 512)
FLIP_SEEDS = range(6)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    with LocalEngine(data_dir=tmp_path_factory.mktemp("fuzz-data"), api_key=KEY, workers=2) as eng:
        yield eng


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("fuzz-src")
    return {
        ext: make_video(d / f"src.{ext}", width=480, height=360, duration=6, fps=8, audio=True)
        for ext in ("mp4", "mkv", "ts")
    }


def truncated(src: Path, keep: float, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: max(1, int(len(data) * keep))])
    return dst


def bit_flipped(src: Path, flips: int, seed: int, dst: Path) -> Path:
    data = bytearray(src.read_bytes())
    rng = random.Random(seed * 1000 + flips)
    for _ in range(flips):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    dst.write_bytes(bytes(data))
    return dst


def rotated(src: Path, dst: Path) -> Path:
    """Set the video track's display matrix (``tkhd``) to a 90 degree rotation."""
    data = bytearray(src.read_bytes())
    i = data.find(b"tkhd") - 4
    assert i >= 0 and data[i + 8] == 0, "expected a version 0 tkhd box"
    data[i + 48 : i + 84] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    dst.write_bytes(bytes(data))
    return dst


def variable_frame_rate(dst: Path, seconds: float = 6.0) -> Path:
    """Frames at irregular times (20 ms to 500 ms apart), timestamps in milliseconds."""
    rng = np.random.default_rng(7)
    with av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 480, 360, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        t = 0
        while t < seconds * 1000:
            img = np.zeros((360, 480, 3), np.uint8)
            x = int(t / 1000 * 60) % 400
            img[100:200, x : x + 80] = (255, 128, 0)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            for p in stream.encode(frame):
                out.mux(p)
            t += int(rng.choice([20, 33, 40, 100, 250, 500]))
        for p in stream.encode():
            out.mux(p)
    return dst


def variants(sources: dict[str, Path], d: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, name to upload it under)."""
    out: dict[str, tuple[Path, str]] = {}
    for ext, src in sources.items():
        for keep in TRUNCATE_AT:
            out[f"{ext}-truncated-{keep}"] = (
                truncated(src, keep, d / f"t{keep}.{ext}"),
                f"v.{ext}",
            )
        for flips in FLIPS:
            for seed in FLIP_SEEDS:
                p = bit_flipped(src, flips, seed, d / f"f{flips}-{seed}.{ext}")
                out[f"{ext}-flip{flips}-seed{seed}"] = (p, f"v.{ext}")
    mp4 = sources["mp4"]
    for name in ("v.mov", "v.avi", "v.txt", "v.jpg", "v", "v.MP4"):
        out[f"mp4-named-{name}"] = (mp4, name)
    out["mkv-named-v.mp4"] = (sources["mkv"], "v.mp4")
    (d / "empty.mp4").write_bytes(b"")
    out["zero-length"] = (d / "empty.mp4", "empty.mp4")
    out["audio-only-m4a"] = (make_audio_only(d / "a.m4a", 6.0), "a.m4a")
    out["audio-only-as-mp4"] = (d / "a.m4a", "a.mp4")
    out["png-as-mp4"] = (_png(d / "i.png"), "i.mp4")
    out["rotated-90"] = (rotated(mp4, d / "rot.mp4"), "rot.mp4")
    out["variable-frame-rate"] = (variable_frame_rate(d / "vfr.mp4"), "vfr.mp4")
    return out


def _png(path: Path) -> Path:
    with av.open(str(path), "w", format="image2") as out:
        s = out.add_stream("png", rate=1)
        s.width, s.height, s.pix_fmt = 480, 360, "rgb24"
        for p in s.encode(av.VideoFrame.from_ndarray(np.full((360, 480, 3), 90, np.uint8))):
            out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def create(api: requests.Session, engine: LocalEngine, path: Path, name: str) -> requests.Response:
    files = [
        ("model_name", (None, "marengo3.0")),
        ("video_embedding_scope", (None, "clip")),
        ("video_embedding_scope", (None, "video")),
        ("video_file", (name, path.read_bytes(), "application/octet-stream")),
    ]
    return api.post(engine.base_url + "/embed/tasks", files=files, timeout=60)


def wait(
    api: requests.Session, engine: LocalEngine, ids: list[str], timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        finals = {t: api.get(f"{engine.base_url}/embed/tasks/{t}", timeout=30).json() for t in ids}
        if all(b["status"] != "processing" for b in finals.values()):
            return finals
        stuck = [t for t, b in finals.items() if b["status"] == "processing"]
        assert time.monotonic() < deadline, f"tasks never finished: {stuck}"
        time.sleep(0.2)


def assert_correct_result(body: dict[str, Any]) -> None:
    segments = body["video_embedding"]["segments"]
    duration = body["video_embedding"]["metadata"]["duration"]
    assert 4 <= duration <= 7, duration
    assert {s["embedding_scope"] for s in segments} == {"clip", "video"}
    for s in segments:
        v = np.asarray(s["float"], dtype=np.float64)
        assert v.shape == (512,) and np.isfinite(v).all()
        assert math.isclose(float(np.linalg.norm(v)), 1.0, rel_tol=1e-3)
        assert 0 <= s["start_offset_sec"] < s["end_offset_sec"] <= duration + 0.5


def test_fuzzed_media_each_get_a_code_or_a_correct_result(
    engine: LocalEngine, api: requests.Session, sources: dict[str, Path], tmp_path: Path
) -> None:
    cases = variants(sources, tmp_path)
    outcomes: dict[str, str] = {}
    accepted: dict[str, str] = {}
    for name, (path, upload_name) in cases.items():
        r = create(api, engine, path, upload_name)
        assert r.status_code in (200, 400), (name, r.status_code, r.text)
        if r.status_code == 400:
            code = r.json()["code"]
            assert code in VIDEO_CODES, (name, r.json())
            outcomes[name] = f"400 {code}"
        else:
            accepted[r.json()["_id"]] = name
    finals = wait(api, engine, list(accepted), timeout=120)
    for task_id, body in finals.items():
        name = accepted[task_id]
        if body["status"] == "failed":
            assert body["error"]["code"] in VIDEO_CODES and body["error"]["message"], (name, body)
            outcomes[name] = f"failed {body['error']['code']}"
        else:
            assert_correct_result(body)
            outcomes[name] = "ready"
    # Must be refused, whatever else happens.
    for name in (
        "zero-length",
        "audio-only-m4a",
        "audio-only-as-mp4",
        "png-as-mp4",
        "mp4-truncated-0.05",
    ):
        assert outcomes[name].endswith("video_file_broken") or "too_short" in outcomes[name], (
            outcomes[name]
        )
    # Must be embedded: a good file under any name, rotation metadata, a variable frame rate.
    for name in (
        "mp4-named-v.txt",
        "mp4-named-v",
        "mkv-named-v.mp4",
        "rotated-90",
        "variable-frame-rate",
    ):
        assert outcomes[name] == "ready", (name, outcomes[name])
    # The pools still serve a good video afterwards.
    r = create(api, engine, sources["mp4"], "after.mp4")
    assert r.status_code == 200, r.text
    after = wait(api, engine, [r.json()["_id"]], timeout=60)
    assert_correct_result(next(iter(after.values())))
    assert engine.app is not None
    crashes = engine.app[EXECUTOR].crashes + engine.app[PROBE_EXECUTOR].crashes  # type: ignore[attr-defined]
    summary = Counter(outcomes.values())
    print(f"\n{len(cases)} media variants: {dict(summary)}; worker pool crashes: {crashes}")
    assert crashes == 0


def test_rotation_metadata_is_applied(
    engine: LocalEngine, api: requests.Session, tmp_path: Path
) -> None:
    """A 640x360 video flagged as rotated 90 degrees is seen upright: the probe reports
    360x640, and its vectors match the same content physically rotated, not the
    unrotated file."""
    plain = make_video(tmp_path / "plain.mp4", width=640, height=360, duration=4.5, fps=8, seed=3)
    flagged = rotated(plain, tmp_path / "flagged.mp4")
    upright = make_video(
        tmp_path / "upright.mp4", width=640, height=360, duration=4.5, fps=8, seed=3,
        transform=lambda img: np.ascontiguousarray(np.rot90(img, k=-1)),
    )  # fmt: skip
    facts = probe_video(flagged)
    assert (facts.width, facts.height) == (360, 640)
    ids = {}
    for name, path in (("plain", plain), ("flagged", flagged), ("upright", upright)):
        r = create(api, engine, path, path.name)
        assert r.status_code == 200, r.text
        ids[name] = r.json()["_id"]
    finals = wait(api, engine, list(ids.values()), timeout=60)

    def video_vector(name: str) -> np.ndarray:
        body = finals[ids[name]]
        (seg,) = [
            s for s in body["video_embedding"]["segments"]
            if s["embedding_scope"] == "video" and s["embedding_option"] == "visual"
        ]  # fmt: skip
        return np.asarray(seg["float"])

    flagged_v = video_vector("flagged")
    to_upright = float(flagged_v @ video_vector("upright"))
    to_plain = float(flagged_v @ video_vector("plain"))
    assert to_upright > to_plain and to_upright > 0.9, (to_upright, to_plain)
