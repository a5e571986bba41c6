"""The work one task needs, as a picklable function that runs in a worker process.

probe -> video rules -> clip plan -> encoder pipeline, returning float32 bytes so the
result crosses the process boundary compactly. Refusals come back as ``JobRefused``
with the platform's code, which the engine stores on the ``failed`` task.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from ... import video_rules
from ...media_probe import DecodeRefused, ProbeFailed, probe_video
from .files import MEDIA_FILE

SegmentRow = tuple[float, float, str, str, bytes]
"""start, end, embedding_option, embedding_scope, float32 little-endian vector bytes."""


class JobRefused(Exception):
    """The video breaks a platform rule or cannot be decoded."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    @classmethod
    def of(cls, violations: Sequence[video_rules.Violation]) -> JobRefused:
        """Broken rules as one refusal (:func:`video_rules.combine`)."""
        v = video_rules.combine(violations)
        return cls(v.code, v.message)


@attrs.frozen
class JobSpec:
    path: str = attrs.field(metadata=MEDIA_FILE)
    model_name: str
    start: float | None
    end: float | None
    clip_length: float | None
    scopes: tuple[str, ...]
    encoder: str = "descriptor"
    duration: float | None = None
    """Set when the file was probed and checked already (an upload, at create): the
    worker then skips its own probe and goes straight to decoding."""


@attrs.frozen
class JobResult:
    duration: float
    options: tuple[str, ...]
    segments: list[SegmentRow]


def probe(path: str) -> video_rules.VideoFacts:
    """``media_probe.probe_video`` with decode failures as ``JobRefused``."""
    try:
        return probe_video(path)
    except DecodeRefused as exc:
        raise JobRefused(exc.code, exc.message) from exc
    except ProbeFailed as exc:
        raise JobRefused.of([video_rules.file_broken()]) from exc


def check_media(spec: JobSpec, facts: video_rules.VideoFacts) -> None:
    """Every rule that needs the media facts (:func:`video_rules.check_media`)."""
    params = video_rules.CreateParams(
        model_name=spec.model_name,
        has_file=True,
        video_start_offset_sec=spec.start,
        video_end_offset_sec=spec.end,
        video_clip_length=spec.clip_length,
        video_embedding_scope=spec.scopes,
    )
    violations = video_rules.check_media(params, facts)
    if violations:
        raise JobRefused.of(violations)


def embed_task(spec: JobSpec) -> JobResult:
    """Run one task end to end; raises ``JobRefused`` for videos the platform would refuse."""
    from .segments import ClipPlan, embed_video

    duration = spec.duration
    if duration is None:
        facts = probe(spec.path)
        check_media(spec, facts)
        assert facts.duration is not None  # check_media refuses an unknown duration
        duration = facts.duration
    clips = video_rules.plan_clips(duration, spec.start, spec.end, spec.clip_length)
    if not clips:
        raise JobRefused.of(
            [video_rules.file_broken("No clip could be cut from the requested range.")]
        )
    plan = ClipPlan(spec.path, spec.model_name, tuple(clips), spec.scopes, spec.encoder)
    try:
        vectors = embed_video(plan)
    except DecodeRefused as exc:
        raise JobRefused(exc.code, exc.message) from exc
    except ProbeFailed as exc:
        raise JobRefused.of([video_rules.file_broken()]) from exc
    rows: list[SegmentRow] = []
    options: list[str] = []
    for s in vectors:
        if s.embedding_option not in options:
            options.append(s.embedding_option)
        blob = np.asarray(s.vector, dtype="<f4").tobytes()
        rows.append(
            (
                float(s.start_offset_sec),
                float(s.end_offset_sec),
                s.embedding_option,
                s.embedding_scope,
                blob,
            )
        )
    return JobResult(duration, tuple(options), rows)
