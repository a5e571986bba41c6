"""Which fields of a job's spec name local media files, for executors on other machines.

A spec field that holds the path of a file on the engine's machine (an upload, a download)
is declared with ``attrs.field(metadata=MEDIA_FILE)``: a string, an optional string, or a
tuple of strings. An executor whose workers cannot read the engine's disk (Ray on other
machines) finds those files with :func:`media_files`, ships them, and points the spec at
the worker's copies with :func:`with_media_files`. Specs nested in a field (a tuple of
specs) are walked too. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

import attrs

MEDIA_FILE: Mapping[str, bool] = {"twelvelabs_embed.media_file": True}
"""``metadata`` of a spec field naming a local media file."""

T = TypeVar("T")


def _fields(obj: object) -> tuple[attrs.Attribute[Any], ...]:
    """The attrs fields of ``obj``'s class, or none for anything else."""
    cls = type(obj)
    return tuple(attrs.fields(cls)) if attrs.has(cls) else ()


def _is_media(field: attrs.Attribute[Any]) -> bool:
    return bool(field.metadata.get("twelvelabs_embed.media_file"))


def media_files(obj: object) -> list[str]:
    """Every local media file named in ``obj`` (attrs specs, tuples and lists of them),
    each once, in the order found."""
    found: dict[str, None] = {}
    _collect(obj, found)
    return list(found)


def _collect(obj: object, found: dict[str, None]) -> None:
    if fields := _fields(obj):
        for field in fields:
            value = getattr(obj, field.name)
            if not _is_media(field):
                _collect(value, found)
            elif isinstance(value, str):
                found[value] = None
            elif isinstance(value, (tuple, list)):
                found.update((v, None) for v in value if isinstance(v, str))
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            _collect(item, found)


def with_media_files(obj: T, paths: Mapping[str, str]) -> T:
    """``obj`` with every media file path replaced through ``paths`` (others kept)."""
    if fields := _fields(obj):
        changes: dict[str, Any] = {}
        for field in fields:
            value = getattr(obj, field.name)
            if not _is_media(field):
                new = with_media_files(value, paths)
            elif isinstance(value, str):
                new = paths.get(value, value)
            elif isinstance(value, (tuple, list)) and any(v in paths for v in value):
                new = type(value)(paths.get(v, v) if isinstance(v, str) else v for v in value)
            else:
                new = value
            if new is not value:
                changes[field.name] = new
        return attrs.evolve(cast(Any, obj), **changes) if changes else obj
    if isinstance(obj, (tuple, list)):
        items = [with_media_files(item, paths) for item in obj]
        if any(a is not b for a, b in zip(items, obj, strict=True)):
            return type(obj)(items)
    return obj
