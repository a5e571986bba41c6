"""Choosing an error class: platform code first, then HTTP status."""

from __future__ import annotations

import pytest

import twelvelabs_embed.errors as e


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "video_resolution_too_low", e.VideoResolutionTooLowError),
        (400, "video_resolution_too_high", e.VideoResolutionTooHighError),
        (400, "video_resolution_invalid_aspect_ratio", e.VideoResolutionInvalidAspectRatioError),
        (400, "video_duration_too_long", e.VideoDurationTooLongError),
        (400, "video_filesize_too_large", e.VideoFilesizeTooLargeError),
        (400, "parameter_unknown", e.ParameterUnknownError),
        (400, "content_type_invalid", e.ContentTypeInvalidError),
        (400, None, e.BadRequestError),
        (401, None, e.AuthenticationError),
        (408, None, e.RequestTimeoutError),
        (409, None, e.ConflictError),
        (429, "too_many_requests", e.TooManyRequestsError),
        (500, None, e.InternalServerError),
        (502, None, e.BadGatewayError),
        (507, None, e.ServerError),
        (302, None, e.ApiError),
        (None, "video_file_broken", e.VideoFileBrokenError),
    ],
)
def test_error_class_for(status: int | None, code: str | None, cls: type) -> None:
    assert e.error_class_for(status, code) is cls


def test_v2_error_shape_and_odd_bodies() -> None:
    err = e.make_status_error(400, {"error": {"code": "parameter_invalid", "message": "m"}}, {})
    assert type(err) is e.ParameterInvalidError and err.message == "m"
    assert e.make_status_error(500, "", {}).message == "HTTP 500 with an empty body"
    odd = e.make_status_error(400, {"code": 5, "message": None}, {"X-Request-Id": "r"})
    assert type(odd) is e.BadRequestError and odd.request_id == "r"


def test_every_error_is_a_twelvelabs_error() -> None:
    assert issubclass(e.ApiTimeoutError, e.ApiConnectionError)
    assert issubclass(e.WaitTimeoutError, e.TwelveLabsError) and issubclass(
        e.WaitTimeoutError, TimeoutError
    )
    assert e.RateLimitError is e.TooManyRequestsError
    assert set(e.__all__) <= set(dir(e))


def test_v2_413_keeps_details() -> None:
    body = {"error": {"code": "content_too_large", "message": "big", "details": {"limit": 1}}}
    err = e.make_status_error(413, body, {})
    assert type(err) is e.ContentTooLargeError and err.details == {"limit": 1}
    assert err.code == "content_too_large" and err.message == "big"
    flat = e.make_status_error(400, {"code": "parameter_invalid", "message": "m"}, {})
    assert flat.details is None
