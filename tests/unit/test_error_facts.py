"""What every error says about itself: worth retrying, ambiguous; one name per concept."""

from __future__ import annotations

import pytest

import twelvelabs_embed as tl
import twelvelabs_embed.errors as e


@pytest.mark.parametrize(
    ("error", "retryable", "ambiguous"),
    [
        (e.make_status_error(400, {"code": "parameter_invalid"}, {}), False, False),
        (e.make_status_error(401, {}, {}), False, False),
        (e.make_status_error(404, {}, {}), False, False),
        (e.make_status_error(408, "", {}), True, True),
        (e.make_status_error(409, {}, {}), True, False),
        (e.make_status_error(429, {}, {}), True, False),
        (e.make_status_error(500, {}, {}), True, True),
        (e.make_status_error(503, {}, {"x-should-retry": "false"}), False, True),
        (e.make_status_error(400, {}, {"X-Should-Retry": "true"}), True, False),
        (e.VideoFileBrokenError("m", code="video_file_broken", preflight=True), False, False),
        (e.ApiConnectionError("refused", ambiguous=False), True, False),
        (e.ApiConnectionError("dropped after the body"), True, True),
        (e.ApiTimeoutError("slow", ambiguous=True), True, True),
        (e.ApiResponseValidationError("not json", status_code=200), True, True),
        (e.UploadError("changed size"), True, False),
        (e.WaitTimeoutError("late"), False, False),
        (e.JournalBusyError("busy"), False, False),
    ],
)
def test_retryable_and_ambiguous(
    error: e.TwelveLabsError, retryable: bool, ambiguous: bool
) -> None:
    assert (error.retryable, error.ambiguous) == (retryable, ambiguous)
    assert e.is_retryable(error) is retryable


def test_is_retryable_is_false_for_foreign_errors() -> None:
    assert not e.is_retryable(ValueError("x")) and not e.is_retryable(OSError("x"))


def test_status_code_and_code_are_the_one_names() -> None:
    err = e.make_status_error(400, {"code": "video_duration_too_short", "message": "m"}, {})
    assert type(err) is e.VideoDurationTooShortError
    assert (err.status_code, err.code) == (400, "video_duration_too_short")
    assert (e.NotFoundError.status_code, e.VideoFileBrokenError.code) == (404, "video_file_broken")
    assert e.NotFoundError("gone").status_code == 404  # made by hand: the class's own status
    with pytest.warns(DeprecationWarning, match="status_code"):
        assert err.status == 400
    with pytest.warns(DeprecationWarning, match="code"):
        assert err.platform_code == "video_duration_too_short"


def test_every_exception_is_exported_from_errors_and_the_package() -> None:
    import twelvelabs_embed._upload as upload
    import twelvelabs_embed.jobs as jobs
    import twelvelabs_embed.media_probe as probe

    raised_elsewhere = [
        upload.UploadError,
        upload.NotReplayableError,
        probe.ProbeFailed,
        probe.ProbeUnavailable,
        jobs.JournalBusyError,
    ]
    for cls in raised_elsewhere:
        assert cls.__module__ == "twelvelabs_embed.errors", cls
        assert getattr(tl, cls.__name__) is cls and cls.__name__ in tl.__all__
    for name in e.__all__:
        assert getattr(tl, name) is getattr(e, name) and name in tl.__all__
