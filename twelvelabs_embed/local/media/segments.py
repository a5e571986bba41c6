"""One pure function the engine's worker processes call: a video file and a clip plan in,
the platform's segment rows out.

Frames are sampled, not fully decoded: ``SAMPLES_PER_CLIP`` frames per clip, each a
keyframe or the first decodable frame near an evenly spaced target (see
:func:`.frames.read_media`), which keeps a 1080p job many times faster than real-time
decoding. Audio is decoded once for the whole range, in the same pass where it can be.
"""

from __future__ import annotations

import attrs
import numpy as np

from ...video_rules import MODELS
from .encoders import Encoder, load_encoder, project
from .files import MEDIA_FILE
from .frames import AUDIO_RATE, Frames, read_media

SAMPLES_PER_CLIP = 4
MAX_TOLERANCE_SEC = 0.75
"""A sampled frame may sit this far from its target (less for short clips)."""


@attrs.frozen
class SegmentVector:
    """One output row, as the platform's ``video_embedding.segments`` item."""

    start_offset_sec: float
    end_offset_sec: float
    embedding_option: str
    embedding_scope: str  # "clip" | "video"
    vector: list[float]  # L2-normalised, len == model dimension


@attrs.frozen
class ClipPlan:
    """What to embed: ``clips`` from :func:`video_rules.plan_clips`, in time order."""

    path: str = attrs.field(metadata=MEDIA_FILE)
    model_name: str
    clips: tuple[tuple[float, float], ...]
    scopes: tuple[str, ...]  # ("clip",) or ("clip", "video")
    encoder: str = "descriptor"


def embed_video(plan: ClipPlan) -> list[SegmentVector]:
    """Embed every clip (and the whole range when ``"video"`` is in ``plan.scopes``).

    Ordering as the platform: grouped by embedding option in the model's option order;
    within an option all clip segments in time order, then the video-scope segment (start
    of the first clip .. end of the last). Visual options (``visual``, ``visual-text``)
    share the visual descriptor and differ by projection salt. A file without an audio
    stream gets silence for the ``audio`` option: a fixed descriptor, so every such
    segment carries the same unit vector (per model), deterministic and distinct from any
    sound.

    Raises:
        ProbeFailed: the file cannot be opened or decoding fails midway.
        ValueError: unknown model name.
    """
    spec = MODELS.get(plan.model_name)
    if spec is None:
        raise ValueError(f"unknown model {plan.model_name!r}")
    if not plan.clips:
        return []
    encoder = load_encoder(plan.encoder)
    span = (plan.clips[0][0], plan.clips[-1][1])
    shortest = min(end - start for start, end in plan.clips)
    frames, samples = read_media(
        plan.path,
        [t for start, end in plan.clips for t in _targets(start, end)],
        size=encoder.frame_size,
        tolerance=min(MAX_TOLERANCE_SEC, shortest / (2 * SAMPLES_PER_CLIP)),
        audio=span if "audio" in spec.embedding_options else None,
        rate=AUDIO_RATE,
    )
    visual = _visual_descriptors(plan, encoder, frames)
    audio = None
    if "audio" in spec.embedding_options:
        audio = _audio_descriptors(plan, encoder, samples)
    rows: list[SegmentVector] = []
    for option in spec.embedding_options:
        descs = audio if option == "audio" else visual
        assert descs is not None
        salt = f"{spec.name}/{option}/{encoder.name}"
        for (start, end), d in zip(plan.clips, descs, strict=True):
            rows.append(_row(start, end, option, "clip", d, spec.dimension, salt))
        if "video" in plan.scopes:
            mean = np.mean([d / max(float(np.linalg.norm(d)), 1e-12) for d in descs], axis=0)
            rows.append(_row(*span, option, "video", mean, spec.dimension, salt))
    return rows


def _row(
    start: float, end: float, option: str, scope: str, d: np.ndarray, dim: int, salt: str
) -> SegmentVector:
    vector = project(d, dim, salt=salt).tolist()
    return SegmentVector(float(start), float(end), option, scope, vector)


def _targets(start: float, end: float) -> list[float]:
    step = (end - start) / SAMPLES_PER_CLIP
    return [start + (i + 0.5) * step for i in range(SAMPLES_PER_CLIP)]


def _visual_descriptors(plan: ClipPlan, encoder: Encoder, frames: Frames) -> list[np.ndarray]:
    out = encoder.encode_clips(frames.images, SAMPLES_PER_CLIP)
    if len(out) != len(plan.clips):
        raise ValueError(f"{len(out)} clip descriptors for {len(plan.clips)} clips")
    return out


def _audio_descriptors(
    plan: ClipPlan, encoder: Encoder, samples: np.ndarray | None
) -> list[np.ndarray]:
    lo = plan.clips[0][0]
    if samples is None:
        samples = np.zeros(0, np.float32)  # no audio stream: silence, see embed_video
    out = []
    for start, end in plan.clips:
        a, b = round((start - lo) * AUDIO_RATE), round((end - lo) * AUDIO_RATE)
        out.append(encoder.encode_audio(samples[a:b], AUDIO_RATE))
    return out
