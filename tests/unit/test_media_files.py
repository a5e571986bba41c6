"""Which spec fields name local media files (what an executor on other machines must ship)."""

from __future__ import annotations

import importlib
import pkgutil

import attrs
import pytest

from twelvelabs_embed.local import media
from twelvelabs_embed.local.media.files import MEDIA_FILE, media_files, with_media_files
from twelvelabs_embed.local.media.task_job import JobSpec
from twelvelabs_embed.local.media.v1_sync import V1SyncSpec
from twelvelabs_embed.local.media.v2_vectors import AvSpec, CombinedSpec


def av(path: str) -> AvSpec:
    return AvSpec(path, "video", "marengo3.0", "async", None, None, "fixed", 6.0,
                  ("visual",), ("asset",), True, False, 512)  # fmt: skip


def test_files_are_found_in_nested_specs_once_each() -> None:
    spec = CombinedSpec(
        "marengo3.0", 512, text="/m/a.upload", images=("/m/i.upload", "/m/a.upload"),
        media=(av("/m/v.upload"), av("/m/i.upload")),
    )  # fmt: skip
    # text is never a file, even when it reads like one
    assert media_files((spec,)) == ["/m/i.upload", "/m/a.upload", "/m/v.upload"]
    assert media_files((V1SyncSpec("m", text="t", audio_path="/m/s.upload"),)) == ["/m/s.upload"]
    assert media_files((JobSpec("/m/j.upload", "m", None, None, None, ("clip",)), 3)) == [
        "/m/j.upload"
    ]
    assert media_files(("/m/not-a-spec-field", 1)) == []


def test_paths_are_replaced_and_everything_else_is_kept() -> None:
    spec = CombinedSpec(
        "marengo3.0", 512, text="/m/a.upload", images=("/m/a.upload",),
        media=(av("/m/v.upload"),),
    )  # fmt: skip
    here = {"/m/a.upload": "/tmp/1", "/m/v.upload": "/tmp/2"}
    (moved, n) = with_media_files((spec, 7), here)
    assert n == 7 and moved.text == "/m/a.upload"
    assert moved.images == ("/tmp/1",) and moved.media[0].path == "/tmp/2"
    assert moved.media[0].options == ("visual",)
    assert with_media_files(spec, {}) is spec  # nothing to replace: the same object
    v1 = with_media_files(V1SyncSpec("m", image_path="/m/a.upload"), here)
    assert (v1.image_path, v1.audio_path) == ("/tmp/1", None)


def _spec_classes() -> list[type]:
    found = []
    for info in pkgutil.iter_modules(media.__path__):
        module = importlib.import_module(f"{media.__name__}.{info.name}")
        found += [
            c for c in vars(module).values()
            if isinstance(c, type) and attrs.has(c) and c.__module__ == module.__name__
        ]  # fmt: skip
    return found


@pytest.mark.parametrize("cls", _spec_classes(), ids=lambda c: c.__name__)
def test_every_path_field_of_a_media_spec_is_marked(cls: type) -> None:
    """A new spec field holding a file must say so, or a Ray worker elsewhere cannot read it."""
    for field in attrs.fields(cls):
        named_like_a_file = field.name in ("path", "images") or field.name.endswith("_path")
        holds_text = str(field.type) in ("str", "str | None", "tuple[str, ...]")
        if named_like_a_file and holds_text:
            assert field.metadata == MEDIA_FILE, f"{cls.__name__}.{field.name}"
