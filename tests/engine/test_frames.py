"""Decoding: sampled frames land near their targets, audio comes out at 16 kHz mono, and
broken files raise ProbeFailed instead of anything else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from tests.videos import make_audio_only, make_garbage, make_video, truncate, write_frames
from twelvelabs_embed.local.media.descriptor import audio_descriptor
from twelvelabs_embed.local.media.frames import (
    AUDIO_RATE,
    _key_inside,
    _seek_point,
    _window,
    read_audio,
    read_frames,
    read_media,
)
from twelvelabs_embed.local.media.segments import MAX_TOLERANCE_SEC, SAMPLES_PER_CLIP, _targets
from twelvelabs_embed.media_probe import ProbeFailed, probe_video


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("frames")
    make_video(d / "av.mp4", duration=6.0, fps=15, audio=True, seed=1, gop=15)
    make_video(d / "long_gop.mp4", duration=6.0, fps=15, seed=2)
    make_video(d / "intra.mp4", duration=6.0, fps=15, seed=3, gop=1)
    make_audio_only(d / "sound.m4a", 5.0)
    return d


@pytest.mark.parametrize("name", ["av.mp4", "long_gop.mp4"])
def test_frames_near_targets(media: Path, name: str) -> None:
    targets = [0.5, 1.2, 2.9, 3.0, 5.5]
    got = read_frames(media / name, targets, size=64, tolerance=0.3)
    assert got.images.shape == (5, 64, 64, 3)
    assert got.images.dtype == np.uint8
    assert np.all(np.abs(got.times - targets) <= 0.3 + 1 / 15 + 1e-6)


def test_zero_tolerance_is_exact(media: Path) -> None:
    got = read_frames(media / "av.mp4", [1.0, 4.0], size=32, tolerance=0.0)
    assert np.allclose(got.times, [1.0, 4.0], atol=1 / 15 + 1e-6)
    assert not np.array_equal(got.images[0], got.images[1])


def test_target_past_the_end_gets_the_last_frame(media: Path) -> None:
    got = read_frames(media / "av.mp4", [5.0, 60.0], size=32, tolerance=0.1)
    assert got.images.shape[0] == 2
    assert got.times[1] >= 5.8


def test_audio_is_16k_mono_and_padded(media: Path) -> None:
    a = read_audio(media / "av.mp4", 1.0, 4.0)
    assert a is not None and a.dtype == np.float32
    assert a.shape == (3 * AUDIO_RATE,)
    assert 0.1 < float(np.abs(a).max()) < 1.0
    tail = read_audio(media / "av.mp4", 5.0, 8.0)  # past the end: zero-padded
    assert tail is not None and tail.shape == (3 * AUDIO_RATE,)
    assert float(np.abs(tail[-AUDIO_RATE:]).max()) == 0.0


def test_no_audio_stream_is_none(media: Path) -> None:
    assert read_audio(media / "long_gop.mp4", 0.0, 2.0) is None


def test_audio_only_file_has_no_frames(media: Path) -> None:
    assert probe_video(media / "sound.m4a").has_video is False
    with pytest.raises(ProbeFailed):
        read_frames(media / "sound.m4a", [1.0])


def test_truncated_and_garbage_raise_probe_failed(media: Path, tmp_path: Path) -> None:
    cut = truncate(media / "av.mp4", tmp_path / "cut.mp4", keep=0.4)
    with pytest.raises(ProbeFailed):
        read_frames(cut, [0.5, 5.5])
    with pytest.raises(ProbeFailed):
        read_frames(make_garbage(tmp_path / "junk.mp4"), [0.5])


def test_rule_breaking_videos_are_what_they_say(tmp_path: Path) -> None:
    short = probe_video(make_video(tmp_path / "short.mp4", duration=2.0, fps=10))
    small = probe_video(make_video(tmp_path / "small.mp4", width=320, height=240, fps=10))
    wide = probe_video(make_video(tmp_path / "wide.mp4", width=1000, height=360, fps=10))
    assert short.duration is not None and abs(short.duration - 2.0) < 0.15
    assert (small.width, small.height) == (320, 240)
    assert (wide.width, wide.height) == (1000, 360)


def _every_frame(path: Path, size: int) -> dict[float, np.ndarray]:
    """Every frame of a small file, scaled as the reader scales, by its own time."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return {
            float(f.time): f.to_ndarray(
                width=size, height=size, format="rgb24", interpolation="AREA"
            )
            for f in c.decode(s)
        }


def _keyframe_times(path: Path) -> set[float]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return {
            float(p.pts * s.time_base) for p in c.demux(s) if p.is_keyframe and p.pts is not None
        }


@pytest.mark.parametrize("name", ["av.mp4", "long_gop.mp4", "intra.mp4"])
def test_each_image_is_the_frame_at_its_time(media: Path, name: str) -> None:
    """Whatever path decodes them (keyframe pass, keyframe seeks, decoding on), the images
    are the frames the times say, decoded in full (the loop filter is kept here)."""
    targets = [0.4, 1.0, 1.7, 2.5, 3.1, 4.4, 5.9]
    got = read_frames(media / name, targets, size=32, tolerance=0.3, fast=False)
    every = _every_frame(media / name, 32)
    for t, img in zip(got.times, got.images, strict=True):
        assert np.array_equal(img, every[float(t)])
    assert np.all(np.abs(got.times - targets) <= 0.3 + 1e-6)


def test_keyframes_stand_in_when_near(media: Path) -> None:
    """A keyframe each second and a 0.5 s tolerance: every target gets a keyframe, the
    nearest one."""
    keys = _keyframe_times(media / "av.mp4")
    targets = [0.3, 1.2, 1.9, 3.4, 4.6]
    got = read_frames(media / "av.mp4", targets, size=32, tolerance=0.5)
    assert set(got.times.tolist()) <= keys
    assert got.times.tolist() == [min(keys, key=lambda k: abs(k - t)) for t in targets]


def test_audio_from_the_shared_pass_matches_its_own_read(media: Path) -> None:
    """read_media decodes the audio in the keyframe pass. From the start of the file the
    samples are read_audio's exactly; after a seek the resampler starts at another phase
    and place), so there the sound, not the samples, must match."""
    for lo, hi in ((0.0, 6.0), (1.0, 4.0), (5.0, 8.0)):
        targets = [t for t in (lo + 0.5, lo + 1.5, lo + 2.5) if t < 6.0]
        frames, sound = read_media(
            media / "av.mp4", targets, size=32, tolerance=0.5, audio=(lo, hi)
        )
        alone = read_audio(media / "av.mp4", lo, hi)
        assert sound is not None and alone is not None
        assert frames.images.shape[0] == len(targets)
        if lo == 0.0:
            assert np.array_equal(sound, alone)
        else:
            assert sound.shape == alone.shape
            a, b = audio_descriptor(sound, AUDIO_RATE), audio_descriptor(alone, AUDIO_RATE)
            assert float(a @ b) > 0.99
    _, none = read_media(media / "long_gop.mp4", [1.0], audio=(0.0, 2.0))
    assert none is None


def test_a_keyframe_at_the_window_edge_is_not_taken() -> None:
    """The engine's last sample of a 6 s clip reaches exactly 6.0 s; a keyframe there
    (the next scene's first frame) is the next clip's, so neither plan takes it."""
    want, near, latest = _window(5.25, 0.0, 0.75)
    assert _key_inside([0.0, 6.0], want, near, latest) is None
    assert _seek_point([0.0, 6.0], want, near, latest, -1.0) == 0.0  # decode on from 0
    assert _seek_point([0.0, 5.9, 6.0], want, near, latest, -1.0) == 5.9
    assert _window(1.0, 0.0, 0.0) == (1.0, 1.0, 1.0)  # zero tolerance: the target itself


def test_a_clip_samples_only_its_own_scene(tmp_path: Path) -> None:
    """Two 6 s scenes (red, then blue), a keyframe only at each scene's start: each clip's
    samples, planned as the engine plans them, all come from its own scene."""
    fps, red, blue = 10, (200, 30, 30), (30, 30, 200)

    def scenes() -> Iterator[np.ndarray]:
        for colour in (red, blue):
            for _ in range(6 * fps):
                yield np.full((360, 640, 3), colour, np.uint8)

    path = write_frames(tmp_path / "two_scenes.mp4", scenes(), fps=fps, gop=6 * fps)
    assert {0.0, 6.0} <= _keyframe_times(path)
    tolerance = min(MAX_TOLERANCE_SEC, 6.0 / (2 * SAMPLES_PER_CLIP))  # as embed_video has it
    for (start, end), colour in (((0.0, 6.0), red), ((6.0, 12.0), blue)):
        got = read_frames(path, _targets(start, end), size=16, tolerance=tolerance)
        assert np.all(got.times < end) and np.all(got.times >= start)
        mean = got.images.reshape(len(got.times), -1, 3).mean(axis=1)
        assert np.abs(mean - colour).max() < 20, (start, got.times)
