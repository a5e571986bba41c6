"""Between a checked v2 request and the worker functions: specs, stored plans, refusals.

Shared by the sync handler (``http/v2_embed.py``) and the task runner
(``v2_task_runner.py``), so both embed a given request the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs
import cattrs
import orjson

from ..rules import embed_v2_limits as L
from ..rules.embed_v2 import Source, V2Request, served_options
from .media.v2_vectors import AvSpec, CombinedSpec

_plans = cattrs.Converter()


def plan_json(req: V2Request) -> str:
    """The request as stored with a task: every base64 payload left out (it is on disk)."""

    def strip(s: Source) -> Source:
        return attrs.evolve(s, base64_string="" if s.base64_string else None)

    slim = attrs.evolve(
        req,
        sources=tuple(strip(s) for s in req.sources),
        media=attrs.evolve(req.media, source=strip(req.media.source)) if req.media else None,
    )
    return orjson.dumps(_plans.unstructure(slim)).decode()


def plan_from_json(text: str) -> V2Request:
    return _plans.structure(orjson.loads(text), V2Request)


def options_of(req: V2Request) -> tuple[str, ...]:
    """What the engine produces and reports as ``embedding_options``."""
    if req.media is not None:
        return served_options(req)
    if req.input_type == "image" and req.mode == "async":
        return ("visual",)
    return ()


def av_spec(req: V2Request, path: Path, encoder: str) -> AvSpec:
    media = req.media
    assert media is not None
    return AvSpec(
        path=str(path),
        kind=media.kind,
        model_name=req.model_name,
        mode=req.mode,
        start_sec=media.start_sec,
        end_sec=media.end_sec,
        strategy=media.segmentation.strategy,
        seconds=media.segmentation.seconds,
        options=served_options(req),
        scopes=media.scopes,
        separate=media.separate,
        fused=media.fused,
        dimension=req.embedding_dimension,
        encoder=encoder,
    )


def combined_spec(
    req: V2Request, text: str | None, paths: Sequence[tuple[str, Path]], encoder: str
) -> CombinedSpec:
    """One vector from text and media (``paths`` pairs a source's kind with its file)."""
    media = tuple(
        AvSpec(
            path=str(path),
            kind=kind,
            model_name=req.model_name,
            mode=req.mode,
            start_sec=None,
            end_sec=None,
            strategy="fixed",
            seconds=L.FIXED_SEC[1],
            options=("visual", "audio") if kind == "video" else ("audio",),
            scopes=("asset",),
            separate=True,
            fused=False,
            dimension=L.FULL_DIMENSION,
            encoder=encoder,
        )
        for kind, path in paths
        if kind in ("video", "audio")
    )
    images = tuple(str(p) for kind, p in paths if kind == "image")
    return CombinedSpec(req.model_name, req.embedding_dimension, text, images, media, encoder)
