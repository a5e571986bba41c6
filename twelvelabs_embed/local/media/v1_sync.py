"""``POST /embed`` (v1 sync) work for a worker process: text, image and audio vectors.

Same encoder paths as v2 (:mod:`.v2_vectors`), at the v1 model's size and option names,
so a v1 image vector lands near the v1 task clips that show it. Audio is cut into the
10-second windows :func:`rules.embed_v1_sync.audio_segments` plans.
"""

from __future__ import annotations

import attrs
import numpy as np

from ...media_probe import ProbeFailed, probe_video
from ...rules import embed_v1_sync as rules
from ...video_rules import MODELS
from .encoders import load_encoder, project
from .files import MEDIA_FILE
from .frames import AUDIO_RATE, read_audio
from .task_job import JobRefused
from .v2_vectors import image_vector, text_vector


@attrs.frozen
class V1SyncSpec:
    model_name: str
    text: str | None = None
    image_path: str | None = attrs.field(default=None, metadata=MEDIA_FILE)
    audio_path: str | None = attrs.field(default=None, metadata=MEDIA_FILE)
    audio_start_offset_sec: float | None = None
    encoder: str = "descriptor"


@attrs.frozen
class V1SyncResult:
    text: bytes | None
    image: bytes | None
    audio: list[tuple[float, float, bytes]]


def _blob(v: np.ndarray) -> bytes:
    return np.asarray(v, dtype="<f4").tobytes()


def embed_v1_sync(spec: V1SyncSpec) -> V1SyncResult:
    """Raises ``JobRefused`` for an image or audio file that does not decode or is too small."""
    model = MODELS[spec.model_name]
    visual = model.embedding_options[0]  # "visual" (3.0) or "visual-text" (2.7)
    dim = model.dimension
    text = image = None
    if spec.text is not None:
        text = _blob(text_vector(spec.text, model.name, spec.encoder, dimension=dim, option=visual))
    if spec.image_path is not None:
        image = _blob(
            image_vector(spec.image_path, model.name, spec.encoder, dimension=dim, option=visual)
        )
    audio = _audio(spec, dim) if spec.audio_path is not None else []
    return V1SyncResult(text, image, audio)


def _audio(spec: V1SyncSpec, dim: int) -> list[tuple[float, float, bytes]]:
    assert spec.audio_path is not None
    try:
        facts = probe_video(spec.audio_path, decode_check=False)
        if not facts.has_audio or facts.duration is None:
            raise ProbeFailed("no audio stream was found")
        windows = rules.audio_segments(facts.duration, spec.audio_start_offset_sec)
        if not windows:
            raise ProbeFailed("`audio_start_offset_sec` is past the end of the audio")
        samples = read_audio(spec.audio_path, windows[0][0], windows[-1][1], rate=AUDIO_RATE)
    except ProbeFailed as exc:
        raise JobRefused("parameter_invalid", f"The audio file cannot be used: {exc}.") from exc
    if samples is None:
        samples = np.zeros(0, np.float32)
    encoder = load_encoder(spec.encoder)
    lo, out = windows[0][0], []
    for start, end in windows:
        a, b = round((start - lo) * AUDIO_RATE), round((end - lo) * AUDIO_RATE)
        d = encoder.encode_audio(samples[a:b], AUDIO_RATE)
        v = project(d, dim, salt=f"{spec.model_name}/audio/{encoder.name}")
        out.append((start, end, _blob(v)))
    return out
