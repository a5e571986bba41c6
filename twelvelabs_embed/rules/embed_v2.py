"""Embed API v2 request rules: a wire-form JSON body in, a checked plan or violations out.

:func:`parse_request` reads the body exactly as it goes over the wire (``base64_string``,
not the SDK attribute ``base_64_string``), so the SDK's preflight (which unstructures its
attrs request first) and the engine (which reads the JSON) judge the same thing. It
returns a :class:`V2Request` with every default applied, or the list of broken rules in
the platform's words. :func:`engine_violations` adds what the local engine cannot do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from ..video_rules import Violation
from . import embed_v2_limits as L
from ._checker import Checker, invalid, missing, names, read_source
from .embed_v2_media import Mode, read_async_still, read_media
from .embed_v2_plan import MediaPlan, Segmentation, Source, TimeEntry, V2Request

__all__ = [
    "MediaPlan",
    "Mode",
    "Segmentation",
    "Source",
    "TimeEntry",
    "V2Request",
    "base64_size_violations",
    "engine_violations",
    "parse_request",
    "served_options",
    "source_kind",
]

_SYNC_KEYS = (
    "input_type",
    "model_name",
    "auto_truncate",
    "embedding_uncertainty",
    "embedding_dimension",
)
_ASYNC_KEYS = ("input_type", "model_name", "embedding_uncertainty", "embedding_dimension")
_INPUT_KEYS = {
    "sync": ("text", "image", "text_image", "audio", "video", "multi_input"),
    "async": ("audio", "video", "document", "image"),
}
_REF = re.compile(r"<@([^>]*)>")


def parse_request(body: Any, mode: Mode) -> tuple[V2Request | None, list[Violation]]:
    """Check a body for ``/embed-v2`` (``mode="sync"``) or ``/embed-v2/tasks`` (``"async"``)."""
    c = Checker()
    top = c.obj(body, "body")
    if top is None:
        return None, c.out
    c.known(top, (*(_SYNC_KEYS if mode == "sync" else _ASYNC_KEYS), *_INPUT_KEYS[mode]), "")
    model = c.string(top.get("model_name"), "model_name", required=True)
    input_type = c.string(top.get("input_type"), "input_type", required=True)
    if model is not None and model not in L.MODELS_V2:
        c.add(
            invalid("model_name", f"`{model}` is not a v2 model; use one of: {names(L.MODELS_V2)}.")
        )
        model = None
    if model is None or input_type is None:
        return None, c.out
    table = L.SYNC_INPUT_TYPES if mode == "sync" else L.ASYNC_INPUT_TYPES
    if input_type not in table[model]:
        other = [m for m in L.MODELS_V2 if input_type in table[m]]
        hint = f" Use {names(other)} for `{input_type}`." if other else ""
        c.add(
            invalid(
                "input_type",
                f"`{model}` accepts {names(table[model])} here, not `{input_type}`.{hint}",
            )
        )
        return None, c.out
    for key in _INPUT_KEYS[mode]:
        if key != input_type and top.get(key) is not None:
            c.add(
                invalid(
                    key, f"Send only the `{input_type}` object when `input_type` is `{input_type}`."
                )
            )
    dimension, given = _dimension(c, top.get("embedding_dimension"), model)
    truncate = c.flag(top.get("auto_truncate"), "auto_truncate")
    uncertainty = c.flag(top.get("embedding_uncertainty"), "embedding_uncertainty")
    for name, on in (("auto_truncate", truncate), ("embedding_uncertainty", uncertainty)):
        if on and model != "marengo3.5":
            c.add(invalid(name, f"`{name}` needs `marengo3.5`."))
    payload = c.obj(top.get(input_type), input_type) if input_type in top else None
    if payload is None:
        if input_type not in top:
            c.add(missing(input_type))
        return None, c.out
    req = V2Request(mode, input_type, model, dimension, given, truncate, uncertainty)
    if input_type == "text":
        c.known(payload, ("input_text",), "text.")
        req = attrs.evolve(
            req,
            text=_text(
                c, payload.get("input_text"), "text.input_text", model, truncate, required=True
            ),
        )
    elif input_type in ("image", "text_image") and mode == "sync":
        c.known(
            payload,
            ("media_source", "input_text") if input_type == "text_image" else ("media_source",),
            f"{input_type}.",
        )
        src = read_source(c, payload.get("media_source"), f"{input_type}.media_source")
        text = None
        if input_type == "text_image":
            text = _text(
                c,
                payload.get("input_text"),
                "text_image.input_text",
                model,
                truncate,
                required=True,
            )
        req = attrs.evolve(req, text=text, sources=(src,) if src else ())
    elif input_type == "multi_input":
        req = _multi_input(c, payload, req)
    elif input_type in ("audio", "video"):
        req = attrs.evolve(req, media=read_media(c, payload, input_type, model, mode))
        if uncertainty and req.media is not None and "asset" in req.media.scopes:
            c.add(
                invalid(
                    "embedding_uncertainty",
                    "With `embedding_uncertainty`, `embedding_scope` must not include `asset`.",
                )
            )
    else:  # async image or document
        req = read_async_still(c, payload, req)
    return (None, c.out) if c.out else (req, [])


def _dimension(c: Checker, value: Any, model: str) -> tuple[int, bool]:
    if value is None:
        return L.FULL_DIMENSION, False
    if isinstance(value, str) and value in {str(d) for d in L.DIMENSIONS_V35}:
        value = int(value)  # the OpenAPI document types it as a string enum
    if isinstance(value, bool) or not isinstance(value, int) or value not in L.DIMENSIONS_V35:
        c.add(
            invalid("embedding_dimension", f"Use one of: {', '.join(map(str, L.DIMENSIONS_V35))}.")
        )
        return L.FULL_DIMENSION, False
    if model != "marengo3.5":
        c.add(
            invalid(
                "embedding_dimension",
                "`embedding_dimension` needs `marengo3.5`; `marengo3.0` is always 512.",
            )
        )
    return value, True


def _text(
    c: Checker, value: Any, name: str, model: str, truncate: bool, *, required: bool
) -> str | None:
    text = c.string(value, name, required=required)
    if text is None:
        return None
    if not text.strip():
        c.add(invalid(name, f"`{name}` must not be empty."))
        return None
    limit = L.MAX_TEXT_TOKENS[model]
    if not truncate and L.count_tokens(text) > limit:
        hint = " Set `auto_truncate` to cut it instead." if model == "marengo3.5" else ""
        c.add(invalid(name, f"The text is longer than the {limit} tokens `{model}` reads.{hint}"))
    return text


def _multi_input(c: Checker, payload: Mapping[str, Any], req: V2Request) -> V2Request:
    c.known(payload, ("input_text", "media_sources"), "multi_input.")
    text = None
    if payload.get("input_text") is not None:
        text = _text(
            c,
            payload.get("input_text"),
            "multi_input.input_text",
            req.model_name,
            req.auto_truncate,
            required=False,
        )
    raw = payload.get("media_sources")
    sources: list[Source] = []
    if raw is not None and (not isinstance(raw, list) or len(raw) > L.MAX_MULTI_SOURCES):
        c.add(
            invalid(
                "multi_input.media_sources",
                f"Send a list of at most {L.MAX_MULTI_SOURCES} media sources.",
            )
        )
        raw = None
    allowed = L.MULTI_MEDIA_TYPES[req.model_name]
    for i, item in enumerate(raw or []):
        name = f"multi_input.media_sources[{i}]"
        src = read_source(c, item, name, multi=True)
        if src is None or not isinstance(item, Mapping):
            continue
        media_type = c.string(item.get("media_type"), f"{name}.media_type", required=True)
        if media_type is not None and media_type not in allowed:
            c.add(
                invalid(
                    f"{name}.media_type",
                    f"`{req.model_name}` combines {names(allowed)}, not `{media_type}`.",
                )
            )
        label = c.string(item.get("name"), f"{name}.name")
        sources.append(attrs.evolve(src, media_type=media_type, name=label))
    if text is None and not sources and not c.out:
        c.add(
            Violation(
                "parameter_not_provided",
                "`multi_input` needs `input_text`, `media_sources`, or both.",
                "multi_input",
            )
        )
    if len({s.media_type for s in sources}) > 1 and text is None:
        c.add(
            invalid("multi_input.input_text", "Media sources of different types need `input_text`.")
        )
    labels = {s.name for s in sources if s.name}
    for ref in _REF.findall(text or ""):
        if ref not in labels:
            c.add(invalid("multi_input.input_text", f"`<@{ref}>` names no media source."))
    if req.embedding_uncertainty and (
        (text is not None and sources) or any(s.media_type == "document" for s in sources)
    ):
        c.add(
            invalid(
                "embedding_uncertainty",
                "`embedding_uncertainty` cannot combine text with media, or include a document.",
            )
        )
    return attrs.evolve(req, text=text, sources=tuple(sources))


# --- what the local engine cannot do -------------------------------------------------


def engine_violations(req: V2Request) -> list[Violation]:
    """Requests the platform serves but the local engine refuses, said plainly (400)."""
    out: list[Violation] = []
    if req.media is not None and req.media.options_given and "transcription" in req.media.options:
        out.append(
            invalid(
                f"{req.media.kind}.embedding_option",
                "`transcription` needs a speech model, which the local engine does not have; "
                "ask for `visual` and/or `audio`, or leave `embedding_option` out.",
            )
        )
    if req.embedding_uncertainty:
        out.append(
            invalid(
                "embedding_uncertainty",
                "The local engine does not estimate per-dimension uncertainty; leave "
                "`embedding_uncertainty` out.",
            )
        )
    if req.input_type == "document" or any(s.media_type == "document" for s in req.sources):
        out.append(invalid("document", "The local engine does not embed documents."))
    return out


def source_kind(req: V2Request, source: Source) -> str:
    """``image``/``video``/``audio``/``document``: what a source holds."""
    if req.media is not None:
        return req.media.kind
    if source.media_type:
        return source.media_type
    return "document" if req.input_type == "document" else "image"


def base64_size_violations(req: V2Request) -> list[Violation]:
    """Sources sent as base64 over their allowance: 413 on ``/embed-v2``, 400 on tasks
    (whose documented statuses have no 413). Measured from the string's length."""
    sources = [req.media.source] if req.media is not None else list(req.sources)
    out: list[Violation] = []
    for s in sources:
        if s.base64_string:
            size = L.base64_decoded_size(s.base64_string)
            kind = source_kind(req, s)
            for v in L.check_media_size(kind, req.model_name, req.mode, size, base64=True):
                out.append(v if req.mode == "sync" else attrs.evolve(v, status=400))
    return out


def served_options(req: V2Request) -> tuple[str, ...]:
    """The options the engine produces: defaults leave out what it cannot do."""
    if req.media is None:
        return ()
    return tuple(o for o in req.media.options if o != "transcription")
