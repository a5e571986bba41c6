"""Client-side checks before any byte is uploaded, using the shared :mod:`video_rules`.

A refusal raises the same error class the platform would answer with (for example
:class:`~twelvelabs_embed.errors.VideoDurationTooShortError`), marked ``preflight=True``.
The media probe runs only when PyAV is installed and the file is on disk.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import video_rules as rules
from ._aio import to_thread
from ._upload import FileSource
from .errors import ApiError, error_class_for


def violation_error(violations: Sequence[rules.Violation]) -> ApiError:
    """One exception for a list of violations (:func:`video_rules.combine`), of its class."""
    v = rules.combine(violations)
    cls = error_class_for(v.status, v.code)
    body = {"code": v.code, "message": v.message}
    return cls(v.message, status_code=None, code=v.code, body=body, preflight=True)


def _probe_violations(path: str, params: rules.CreateParams) -> list[rules.Violation]:
    from .media_probe import ProbeFailed, ProbeUnavailable, probe_video

    try:
        facts = probe_video(path)
    except ProbeUnavailable:
        return []
    except ProbeFailed as exc:
        return [rules.file_broken(str(exc))]
    return rules.check_media(params, facts)


async def check_create(
    params: rules.CreateParams, source: FileSource | None, *, probe: bool
) -> None:
    """Raise the platform's error for the first broken rule; return quietly otherwise."""
    found = rules.check_create_params(params)
    uses_file = source is not None and not params.video_url
    if uses_file and source is not None and source.size is not None:
        found += rules.check_file_size(source.size)
    if not found and probe and uses_file and source is not None and source.probe_path:
        found = await to_thread(_probe_violations, source.probe_path, params)
    if found:
        raise violation_error(found)
