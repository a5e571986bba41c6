"""Embed API v2 rules for media inputs: audio and video (segmentation, options, scopes,
fused embeddings, time-based metadata) and the async image and document inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from . import embed_v2_limits as L
from ._checker import Checker, invalid, names, read_source
from .embed_v2_plan import MediaPlan, Segmentation, TimeEntry, V2Request

Mode = Literal["sync", "async"]


def _segmentation(c: Checker, value: Any, kind: str, model: str, mode: Mode) -> Segmentation:
    dynamic_default = Segmentation("dynamic", L.DEFAULT_DYNAMIC_MIN_SEC[model])
    default = (
        Segmentation("fixed", L.DEFAULT_FIXED_SEC)
        if kind == "audio" and model == "marengo3.0"
        else dynamic_default
    )
    name = f"{kind}.segmentation"
    if value is None:
        return default
    seg = c.obj(value, name)
    if seg is None:
        return default
    if model == "marengo3.5":
        if set(seg) != {"temporal"}:
            c.add(invalid(name, '`marengo3.5` takes `{"temporal": {"strategy": ...}}`.'))
            return default
        seg, name = c.obj(seg["temporal"], f"{name}.temporal") or {}, f"{name}.temporal"
    strategies = ("fixed",) if kind == "audio" and model == "marengo3.0" else ("fixed", "dynamic")
    strategy = seg.get("strategy")
    if not isinstance(strategy, str) or strategy not in strategies:
        c.add(invalid(f"{name}.strategy", f"Use {names(strategies)}."))
        return default
    c.known(seg, ("strategy", strategy), f"{name}.")
    inner = c.obj(seg.get(strategy), f"{name}.{strategy}") or {}
    field, (lo, hi) = (
        ("duration_sec", L.FIXED_SEC)
        if strategy == "fixed"
        else ("min_duration_sec", L.DYNAMIC_MIN_SEC)
    )
    value = inner.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        c.add(
            invalid(
                f"{name}.{strategy}.{field}",
                f"`{field}` must be a whole number of seconds within {lo}-{hi}.",
            )
        )
        return default
    return Segmentation(strategy, value)


def read_media(
    c: Checker, p: Mapping[str, Any], kind: str, model: str, mode: Mode
) -> MediaPlan | None:
    extra = ("time_based_metadata",) if mode == "async" else ()
    keys = (
        "media_source",
        "start_sec",
        "end_sec",
        "segmentation",
        "embedding_option",
        "embedding_scope",
        "embedding_type",
    )
    c.known(p, (*keys, *extra), f"{kind}.")
    src = read_source(c, p.get("media_source"), f"{kind}.media_source")
    start, end = (
        c.number(p.get("start_sec"), f"{kind}.start_sec"),
        c.number(p.get("end_sec"), f"{kind}.end_sec"),
    )
    if start is not None and start < 0:
        c.add(invalid(f"{kind}.start_sec", "`start_sec` must be 0 or more."))
    if start is not None and end is not None and end <= start:
        c.add(invalid(f"{kind}.end_sec", "`end_sec` must be greater than `start_sec`."))
    seg = _segmentation(c, p.get("segmentation"), kind, model, mode)
    allowed = (L.VIDEO_OPTIONS if kind == "video" else L.AUDIO_OPTIONS)[model]
    options = c.choices(p.get("embedding_option"), f"{kind}.embedding_option", allowed)
    scopes_allowed = L.ASYNC_SCOPES if mode == "async" else L.SYNC_SCOPES
    requested = (
        c.choices(p.get("embedding_scope"), f"{kind}.embedding_scope", scopes_allowed)
        or L.DEFAULT_SCOPES
    )
    types = c.choices(p.get("embedding_type"), f"{kind}.embedding_type", L.EMBEDDING_TYPES)
    chosen = options or allowed
    if types is not None and "fused_embedding" in types and len(chosen) < 2:
        c.add(
            invalid(
                f"{kind}.embedding_type",
                "`fused_embedding` needs two or more `embedding_option` values.",
            )
        )
    entries = _time_entries(c, p.get("time_based_metadata"), kind, model)
    if entries and (types is None or "fused_embedding" not in types):
        c.add(
            invalid(
                f"{kind}.time_based_metadata",
                "`time_based_metadata` needs `fused_embedding` in `embedding_type`.",
            )
        )
    if src is None:
        return None
    scopes = tuple(dict.fromkeys("clip" if s == "local" else s for s in requested))
    types = types or ("separate_embedding",)
    return MediaPlan(
        kind, src, start, end, seg, chosen, options is not None, scopes, requested,
        "separate_embedding" in types, "fused_embedding" in types, entries,
    )  # fmt: skip


def _time_entries(c: Checker, value: Any, kind: str, model: str) -> tuple[TimeEntry, ...]:
    name = f"{kind}.time_based_metadata"
    if value is None:
        return ()
    if model != "marengo3.5":
        c.add(invalid(name, "`time_based_metadata` needs `marengo3.5`."))
        return ()
    if not isinstance(value, list):
        c.add(invalid(name, "Send a list of `{start, end, text}` objects."))
        return ()
    out = []
    for i, item in enumerate(value):
        e = c.obj(item, f"{name}[{i}]") or {}
        start, end = (
            c.number(e.get("start"), f"{name}[{i}].start"),
            c.number(e.get("end"), f"{name}[{i}].end"),
        )
        text = c.string(e.get("text"), f"{name}[{i}].text", required=True)
        if start is None or end is None or text is None or end <= start:
            c.add(invalid(f"{name}[{i}]", "Each entry needs `start` < `end` and `text`."))
            continue
        out.append(TimeEntry(start, end, text))
    return tuple(out)


_STILL_RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # input: (options, scopes, types) allowed
    "image": (("visual",), ("asset",), ("separate_embedding",)),
    "document": (("visual", "text"), ("local", "asset"), ("separate_embedding",)),
}


def read_async_still(c: Checker, p: Mapping[str, Any], req: V2Request) -> V2Request:
    kind = req.input_type
    options, scopes, types = _STILL_RULES[kind]
    keys = ("media_source", "embedding_option", "embedding_scope", "embedding_type")
    c.known(p, (*keys, "segmentation") if kind == "document" else keys, f"{kind}.")
    src = read_source(c, p.get("media_source"), f"{kind}.media_source")
    c.choices(p.get("embedding_option"), f"{kind}.embedding_option", options)
    c.choices(p.get("embedding_scope"), f"{kind}.embedding_scope", scopes)
    c.choices(p.get("embedding_type"), f"{kind}.embedding_type", types)
    if kind == "document":
        if req.embedding_uncertainty:
            c.add(
                invalid(
                    "embedding_uncertainty",
                    "`embedding_uncertainty` is not available for PDF documents.",
                )
            )
        return attrs.evolve(req, sources=(src,) if src else (), document=dict(p))
    if req.embedding_uncertainty:
        c.add(
            invalid("embedding_uncertainty", "`embedding_uncertainty` is not available for images.")
        )
    return attrs.evolve(req, sources=(src,) if src else ())
