"""Files that cost far more to decode than their size suggests (issue #20 items 5 and 6),
uploaded to the real engine. Each is refused with the platform's code and a reason, the
work it causes stays bounded (counted in packets and pixels, never timed), and the engine
goes on serving.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.reliability import hostile_media as hm
from tests.videos import make_video
from twelvelabs_embed.local.engine import LocalEngine
from twelvelabs_embed.media_probe import DecodeRefused, probe_video
from twelvelabs_embed.rules import decode_limits as D

pytestmark = pytest.mark.timeout(300)
KEY = "tlk_bombs"


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bombs")
    return {
        # 300,000 packets and no keyframe: the probe used to read them all (~70 s here)
        "no_keyframe": hm.no_keyframe_stream(d / "nokey.h264", frames=300_000),
        # 1080p at 480 fps of skip frames: 150 KB that decode to 5 billion pixels
        "skip_bomb": hm.skip_frame_bomb(d / "bomb.mkv", width=1920, height=1080, fps=480, seconds=5),
        # first frame 640x360, then 12000x12000 frames: 900 MB workers before
        "growing": hm.growing_mjpeg(d / "grow.mkv", big=(12000, 12000)),
        # below the hard picture cap, above the platform's limit: the per-frame check
        "tall_frames": hm.growing_mjpeg(d / "tall.mkv", big=(3000, 2400)),
        # two frames, the second at 7,190 s: a 9 KB file that asked for 2,396 segments
        "stretched": hm.stretched_stills(d / "still.mkv", last_at_sec=7190),
        "good": make_video(d / "good.mp4", duration=6, fps=10),
    }  # fmt: skip


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(api_key=KEY, workers=1) as eng:
        yield eng


def upload(api: requests.Session, engine: LocalEngine, video: Path) -> requests.Response:
    files = [
        ("model_name", (None, "marengo3.0")),
        ("video_file", (video.name, video.read_bytes(), "video/mp4")),
    ]
    return api.post(f"{engine.base_url}/embed/tasks", files=files, timeout=120)


def finish(api: requests.Session, engine: LocalEngine, video: Path) -> dict[str, Any]:
    """Refused at create (400), or the task's final status body."""
    r = upload(api, engine, video)
    if r.status_code == 400:
        body: dict[str, Any] = r.json()
        return {"status": "refused", "error": body}
    assert r.status_code == 200, r.text
    task_id = r.json()["_id"]
    engine.wait_idle_sync(240)
    status: dict[str, Any] = api.get(
        f"{engine.base_url}/embed/tasks/{task_id}/status", timeout=30
    ).json()
    return status


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("no_keyframe", "video_file_broken", f"first {D.PROBE_PACKETS} packets"),
        ("skip_bomb", "video_file_broken", "decoding bomb"),
        ("growing", "video_file_broken", "larger than 3840x2160"),
        ("tall_frames", "video_resolution_too_high", "3000x2400"),
        ("stretched", "video_file_broken", "2 frame(s) cannot back its duration"),
    ],
)
def test_bombs_are_refused_with_a_reason(
    engine: LocalEngine,
    api: requests.Session,
    media: dict[str, Path],
    name: str,
    code: str,
    words: str,
) -> None:
    final = finish(api, engine, media[name])
    assert final["status"] in ("refused", "failed"), final
    assert final["error"]["code"] == code, final
    assert words in final["error"]["message"], final
    # and the engine still embeds a real video afterwards
    assert finish(api, engine, media["good"])["status"] == "ready"


def test_probe_reads_a_bounded_number_of_packets(media: dict[str, Path]) -> None:
    """The first-frame search stops after PROBE_PACKETS packets of 300,000."""
    with pytest.raises(DecodeRefused, match=f"first {D.PROBE_PACKETS} packets"):
        probe_video(media["no_keyframe"])


@pytest.mark.parametrize(
    ("duration", "size", "budget"),
    [
        (None, 1000, D.MIN_DECODE_PIXELS),
        (7200.0, 15_000_000, 15_000_000 * D.DECODE_PIXELS_PER_BYTE),  # the 15 MB "2 h" file
        (10.0, 2 * 1024**3, 10 * D.DECODE_PIXELS_PER_SEC),  # a big file pays by duration
        (0.5, 10, D.MIN_DECODE_PIXELS),
    ],
)
def test_decode_budget(duration: float | None, size: int, budget: int) -> None:
    assert D.decode_budget(duration, size) == budget


@pytest.mark.parametrize(
    ("frames", "duration", "ok"),
    [(2, 7190.0, False), (719, 7190.0, True), (1, 4.0, True), (1, 25.0, False), (5, None, True)],
)
def test_frames_back_duration(frames: int, duration: float | None, ok: bool) -> None:
    assert (D.check_frames_back_duration(frames, duration) == []) is ok
