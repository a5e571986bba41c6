"""Embed API v2 vectors, computed in a worker process: picklable specs in, rows out.

- Audio and video: the clip plan (``fixed`` from :func:`video_rules.plan_clips`, ``dynamic``
  from :mod:`.shots`), one descriptor per clip and option from the engine's encoder,
  projected with the same per-model salts as v1 (so a Marengo 3.0 clip gets the same
  visual vector from v1 and v2), ``asset`` rows as the mean of the clips, and ``fused``
  rows as the mean of a clip's option vectors.
- Images: one frame through the visual path, so an image lands near the clips that show it.
- Text: the encoder's ``encode_text`` when it has one (then text shares the visual space);
  otherwise hashed character trigrams, which only match near-identical text.

Marengo 3.5's ``embedding_dimension`` keeps the first N values of the 512-d vector and
renormalises them (Matryoshka). Rows carry float32 bytes to cross the process boundary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import attrs
import numpy as np

from ... import video_rules
from ...media_probe import ProbeFailed, probe_video
from ...rules import embed_v2_limits as L
from .encoders import Encoder, load_encoder, project
from .files import MEDIA_FILE
from .frames import AUDIO_RATE, read_audio, read_frames
from .shots import plan_dynamic
from .task_job import JobRefused

SAMPLES_PER_CLIP = 4
MAX_TOLERANCE_SEC = 0.75
TEXT_HASH_DIM = 256


@attrs.frozen
class AvSpec:
    """One audio or video input: the file and the checked plan (see ``rules.embed_v2``)."""

    path: str = attrs.field(metadata=MEDIA_FILE)
    kind: str
    model_name: str
    mode: str
    start_sec: float | None
    end_sec: float | None
    strategy: str
    seconds: float
    options: tuple[str, ...]
    scopes: tuple[str, ...]
    separate: bool
    fused: bool
    dimension: int
    encoder: str = "descriptor"


@attrs.frozen
class DataRow:
    """One ``data[]`` entry: times in seconds, option/scope as the platform names them."""

    start_sec: float | None
    end_sec: float | None
    embedding_option: str | None
    embedding_scope: str | None
    vector: bytes


@attrs.frozen
class AvResult:
    duration: float
    rows: list[DataRow]


def finish(v: np.ndarray, dimension: int) -> np.ndarray:
    """The first ``dimension`` values, renormalised to unit length (Matryoshka prefix)."""
    head = np.asarray(v, np.float32)[:dimension]
    n = float(np.linalg.norm(head))
    out: np.ndarray = head / n if n > 1e-12 else head
    return out.astype(np.float32)


def _blob(v: np.ndarray) -> bytes:
    return np.asarray(v, dtype="<f4").tobytes()


def _salt(model: str, option: str, encoder: Encoder) -> str:
    return f"{model}/{option}/{encoder.name}"


def _refuse(violations: Sequence[video_rules.Violation]) -> JobRefused:
    return JobRefused(violations[0].code, " ".join(v.message for v in violations))


def _media_broken(exc: Exception) -> JobRefused:
    return JobRefused("video_file_broken", f"{L.TASK_FAILED_MEDIA} ({exc})")


def plan(spec: AvSpec, duration: float) -> list[tuple[float, float]]:
    lo = 0.0 if spec.start_sec is None else spec.start_sec
    hi = duration if spec.end_sec is None else min(spec.end_sec, duration)
    if spec.strategy == "fixed" or spec.kind == "audio":
        return video_rules.plan_clips(duration, lo, hi, spec.seconds)
    return plan_dynamic(spec.path, lo, hi, spec.seconds)


def embed_av(spec: AvSpec) -> AvResult:
    """Probe, check, plan and embed one audio or video file.

    Raises:
        JobRefused: the media breaks a rule or cannot be decoded.
    """
    try:
        facts = probe_video(spec.path, decode_check=spec.kind == "video")
    except ProbeFailed as exc:
        raise _media_broken(exc) from exc
    found = L.check_av_facts(spec.kind, spec.model_name, spec.mode, facts)
    if not found and facts.duration is not None:
        found = L.check_range_against_duration(spec.start_sec, spec.end_sec, facts.duration)
    if found:
        raise _refuse(found)
    assert facts.duration is not None
    try:
        clips = plan(spec, facts.duration)
        if not clips:
            raise JobRefused("parameter_invalid", "No segment can be cut from the requested range.")
        encoder = load_encoder(spec.encoder)
        per_option = {
            o: (
                _visual(spec.path, clips, encoder)
                if o == "visual"
                else _audio(spec.path, clips, encoder)
            )
            for o in spec.options
        }
    except ProbeFailed as exc:
        raise _media_broken(exc) from exc
    return AvResult(facts.duration, _rows(spec, clips, per_option, encoder))


def _rows(
    spec: AvSpec,
    clips: list[tuple[float, float]],
    per_option: dict[str, list[np.ndarray]],
    encoder: Encoder,
) -> list[DataRow]:
    span = (clips[0][0], clips[-1][1])
    full = {
        o: [project(d, L.FULL_DIMENSION, salt=_salt(spec.model_name, o, encoder)) for d in descs]
        for o, descs in per_option.items()
    }
    groups: list[tuple[str, list[np.ndarray]]] = []
    if spec.separate:
        groups += list(full.items())
    if spec.fused:
        fused = [np.mean([full[o][i] for o in full], axis=0) for i in range(len(clips))]
        groups.append(("fused", fused))
    rows: list[DataRow] = []
    for option, vectors in groups:
        if "clip" in spec.scopes:
            for (start, end), v in zip(clips, vectors, strict=True):
                rows.append(DataRow(start, end, option, "clip", _blob(finish(v, spec.dimension))))
        if "asset" in spec.scopes:
            mean = np.mean(vectors, axis=0)
            rows.append(DataRow(*span, option, "asset", _blob(finish(mean, spec.dimension))))
    return rows


def _targets(start: float, end: float) -> list[float]:
    step = (end - start) / SAMPLES_PER_CLIP
    return [start + (i + 0.5) * step for i in range(SAMPLES_PER_CLIP)]


def _visual(path: str, clips: list[tuple[float, float]], encoder: Encoder) -> list[np.ndarray]:
    targets = [t for start, end in clips for t in _targets(start, end)]
    shortest = min(end - start for start, end in clips)
    tolerance = min(MAX_TOLERANCE_SEC, shortest / (2 * SAMPLES_PER_CLIP))
    frames = read_frames(path, targets, size=encoder.frame_size, tolerance=tolerance)
    k = SAMPLES_PER_CLIP
    return [encoder.encode_frames(frames.images[i * k : (i + 1) * k]) for i in range(len(clips))]


def _audio(path: str, clips: list[tuple[float, float]], encoder: Encoder) -> list[np.ndarray]:
    lo = clips[0][0]
    samples = read_audio(path, lo, clips[-1][1], rate=AUDIO_RATE)
    if samples is None:
        samples = np.zeros(0, np.float32)  # no audio stream: silence, as v1 does
    out = []
    for start, end in clips:
        a, b = round((start - lo) * AUDIO_RATE), round((end - lo) * AUDIO_RATE)
        out.append(encoder.encode_audio(samples[a:b], AUDIO_RATE))
    return out


# --- images and text -------------------------------------------------------------------


def image_vector(
    path: str,
    model_name: str,
    encoder_spec: str = "descriptor",
    *,
    dimension: int = L.FULL_DIMENSION,
    option: str = "visual",
) -> np.ndarray:
    """A still image (JPEG, PNG, anything FFmpeg decodes) as a visual vector; ``option``
    is the model's visual option name (``visual-text`` for Marengo 2.7).

    Raises:
        JobRefused: not an image FFmpeg can decode, or smaller than 128 px on a side.
    """
    try:
        facts = probe_video(path)
    except ProbeFailed as exc:
        raise JobRefused("parameter_invalid", f"{L.TASK_FAILED_MEDIA} ({exc})") from exc
    if not facts.width or not facts.height:
        raise JobRefused("parameter_invalid", f"{L.TASK_FAILED_MEDIA} (no image was found)")
    found = L.check_image_facts(L.ImageFacts(facts.width, facts.height))
    if found:
        raise _refuse(found)
    encoder = load_encoder(encoder_spec)
    try:
        frames = read_frames(path, [0.0], size=encoder.frame_size, tolerance=0.5, video=False)
    except ProbeFailed as exc:
        raise JobRefused("parameter_invalid", f"{L.TASK_FAILED_MEDIA} ({exc})") from exc
    d = encoder.encode_frames(np.repeat(frames.images[:1], SAMPLES_PER_CLIP, axis=0))
    return project(d, dimension, salt=_salt(model_name, option, encoder))


def hashed_trigrams(text: str, dim: int = TEXT_HASH_DIM) -> np.ndarray:
    """Character trigrams of the lower-cased, space-normalised text hashed into ``dim``
    signed buckets: deterministic everywhere, similar only for similar strings."""
    norm = f"  {' '.join(text.lower().split())}  "
    out = np.zeros(dim, np.float32)
    for i in range(len(norm) - 2):
        h = hashlib.blake2b(norm[i : i + 3].encode(), digest_size=8).digest()
        bucket = int.from_bytes(h[:4], "little") % dim
        out[bucket] += 1.0 if h[4] & 1 else -1.0
    return out


def text_vector(
    text: str,
    model_name: str,
    encoder_spec: str = "descriptor",
    *,
    dimension: int = L.FULL_DIMENSION,
    option: str = "visual",
) -> np.ndarray:
    """A vector for text (see the module docstring for what it can match); an encoder
    with ``encode_text`` puts it in the space of ``option`` (the visual one)."""
    encoder = load_encoder(encoder_spec)
    encode_text = getattr(encoder, "encode_text", None)
    if callable(encode_text):
        d = np.asarray(encode_text(text), np.float32)
        return project(d, dimension, salt=_salt(model_name, option, encoder))
    salt = f"{model_name}/text/{encoder.name}"
    return project(hashed_trigrams(text), dimension, salt=salt)


@attrs.frozen
class CombinedSpec:
    """Text and/or media embedded as ONE vector (``text``, ``image``, ``text_image``,
    ``multi_input``): the normalised mean of each part's vector."""

    model_name: str
    dimension: int
    text: str | None = None
    images: tuple[str, ...] = attrs.field(default=(), metadata=MEDIA_FILE)
    media: tuple[AvSpec, ...] = ()
    encoder: str = "descriptor"


def combined_vector(spec: CombinedSpec) -> bytes:
    """Raises ``JobRefused`` for media that break a rule or do not decode."""
    parts: list[np.ndarray] = []
    if spec.text is not None:
        parts.append(text_vector(spec.text, spec.model_name, spec.encoder))
    parts += [image_vector(p, spec.model_name, spec.encoder) for p in spec.images]
    for av_spec in spec.media:
        rows = embed_av(av_spec).rows
        parts += [np.frombuffer(r.vector, "<f4") for r in rows if r.embedding_scope == "asset"]
    if not parts:
        raise JobRefused("parameter_invalid", "There is no content to embed.")
    mean = np.mean([p / max(float(np.linalg.norm(p)), 1e-12) for p in parts], axis=0)
    return _blob(finish(mean, spec.dimension))
