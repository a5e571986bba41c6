"""Every exception this package raises, rooted at :class:`TwelveLabsError`.

Two lookups choose the class of an HTTP error: the platform's ``code`` first (so callers
can ``except VideoDurationTooShortError``), then the HTTP status. The same code classes
are raised by the client's preflight before any byte is uploaded; those instances have
``status_code=None`` and ``preflight=True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiKeyInvalidError",
    "ApiResponseValidationError",
    "ApiTimeoutError",
    "AuthenticationError",
    "BadGatewayError",
    "BadRequestError",
    "ConflictError",
    "ContentTypeInvalidError",
    "ForbiddenError",
    "GatewayTimeoutError",
    "IncompatibleEmbeddingsError",
    "InternalServerError",
    "MainModuleNotGuardedError",
    "NotFoundError",
    "ParameterInvalidError",
    "ParameterNotProvidedError",
    "ParameterUnknownError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResourceNotExistError",
    "ServerError",
    "ServiceUnavailableError",
    "TooManyRequestsError",
    "TwelveLabsError",
    "UnprocessableEntityError",
    "VideoDurationTooLongError",
    "VideoDurationTooShortError",
    "VideoFileBrokenError",
    "VideoFilesizeTooLargeError",
    "VideoResolutionInvalidAspectRatioError",
    "VideoResolutionTooHighError",
    "VideoResolutionTooLowError",
    "WaitTimeoutError",
    "error_class_for",
    "make_status_error",
]


class TwelveLabsError(Exception):
    """Base of everything this package raises on purpose."""


class ApiError(TwelveLabsError):
    """The platform (or the local engine) answered with a non-2xx status.

    Attributes:
        status_code: HTTP status, or ``None`` for a preflight refusal.
        code: the platform's error code (``parameter_invalid``, ...), when the body has one.
        message: the platform's human message, or a summary of the body.
        body: the parsed JSON body, or the raw text when it is not JSON.
        headers: response headers, lower-case names.
        request_id: the ``x-request-id`` header, when sent.
        preflight: True when the client refused the request before sending it.
    """

    status: int | None = None
    platform_code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        preflight: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.body = body
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.request_id = self.headers.get("x-request-id")
        self.preflight = preflight

    def __str__(self) -> str:
        where = "preflight" if self.preflight else f"HTTP {self.status_code}"
        code = f" {self.code}" if self.code else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{where}{code}: {self.message}{rid}"


class BadRequestError(ApiError):
    status = 400


class AuthenticationError(ApiError):
    status = 401


class ForbiddenError(ApiError):
    status = 403


class NotFoundError(ApiError):
    status = 404


class RequestTimeoutError(ApiError):
    status = 408


class ConflictError(ApiError):
    status = 409


class UnprocessableEntityError(ApiError):
    status = 422


class TooManyRequestsError(ApiError):
    """429: rate limited. ``retry_after`` is the server's hint in seconds, if any."""

    status = 429

    @property
    def retry_after(self) -> float | None:
        from ._retry import parse_retry_after

        return parse_retry_after(self.headers)


RateLimitError = TooManyRequestsError


class ServerError(ApiError):
    """Any 5xx."""


class InternalServerError(ServerError):
    status = 500


class BadGatewayError(ServerError):
    status = 502


class ServiceUnavailableError(ServerError):
    status = 503


class GatewayTimeoutError(ServerError):
    status = 504


# --- one class per platform code -----------------------------------------------------


class ParameterInvalidError(BadRequestError):
    platform_code = "parameter_invalid"


class ParameterNotProvidedError(BadRequestError):
    platform_code = "parameter_not_provided"


class ParameterUnknownError(BadRequestError):
    platform_code = "parameter_unknown"


class ContentTypeInvalidError(BadRequestError):
    platform_code = "content_type_invalid"


class VideoResolutionTooLowError(BadRequestError):
    platform_code = "video_resolution_too_low"


class VideoResolutionTooHighError(BadRequestError):
    platform_code = "video_resolution_too_high"


class VideoResolutionInvalidAspectRatioError(BadRequestError):
    platform_code = "video_resolution_invalid_aspect_ratio"


class VideoDurationTooShortError(BadRequestError):
    platform_code = "video_duration_too_short"


class VideoDurationTooLongError(BadRequestError):
    platform_code = "video_duration_too_long"


class VideoFileBrokenError(BadRequestError):
    platform_code = "video_file_broken"


class VideoFilesizeTooLargeError(BadRequestError):
    platform_code = "video_filesize_too_large"


class ApiKeyInvalidError(AuthenticationError):
    platform_code = "api_key_invalid"


class ResourceNotExistError(NotFoundError):
    platform_code = "resource_not_exist"


# --- transport and client-side errors ------------------------------------------------


class ApiConnectionError(TwelveLabsError):
    """No usable response: refused, reset, dropped mid-body, DNS failure."""


class ApiTimeoutError(ApiConnectionError):
    """The request took longer than the configured timeout."""


class ApiResponseValidationError(TwelveLabsError):
    """A 2xx response whose body is not the JSON the API promises."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}

    def __reduce__(self) -> Any:  # keyword-only state survives pickling (process pools)
        return (_rebuild, (type(self), self.args, self.__dict__))


class WaitTimeoutError(TwelveLabsError, TimeoutError):
    """``wait_for_done`` gave up before the task finished; ``last_status`` is the last poll."""

    def __init__(self, message: str, *, task_id: str = "", last_status: Any = None) -> None:
        super().__init__(message)
        self.task_id = task_id
        self.last_status = last_status

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.args, self.__dict__))


class MainModuleNotGuardedError(TwelveLabsError, RuntimeError):
    """A script started the local engine outside ``if __name__ == "__main__":``.

    The engine's worker processes re-import the main module; without the guard each of
    them would run the script again. Raised before any worker starts.
    """


class IncompatibleEmbeddingsError(TwelveLabsError, ValueError):
    """Vectors that cannot be compared: different models, different dimensions, or a
    query embedded another way than the index it searches."""


def _rebuild(cls: type[Exception], args: tuple[Any, ...], state: dict[str, Any]) -> Exception:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


def _subclasses(cls: type[ApiError]) -> list[type[ApiError]]:
    out: list[type[ApiError]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_subclasses(sub))
    return out


_BY_CODE: dict[str, type[ApiError]] = {
    c.platform_code: c for c in _subclasses(ApiError) if c.platform_code
}
_BY_STATUS: dict[int, type[ApiError]] = {
    c.status: c for c in _subclasses(ApiError) if c.status and c.platform_code is None
}


def error_class_for(status: int | None, code: str | None) -> type[ApiError]:
    """The most specific class: by platform code when known, then by status."""
    if code and code in _BY_CODE:
        by_code = _BY_CODE[code]
        if status is None or by_code.status == status:
            return by_code
    if status is None:
        return ApiError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return ApiError


def make_status_error(status: int, body: Any, headers: Mapping[str, str]) -> ApiError:
    """Turn an error response into its exception; tolerates non-JSON and odd bodies."""
    code: str | None = None
    message: str | None = None
    if isinstance(body, dict):
        raw_code, raw_message = body.get("code"), body.get("message")
        nested = body.get("error")
        if raw_code is None and isinstance(nested, dict):  # the /embed-v2 error shape
            raw_code, raw_message = nested.get("code"), nested.get("message")
        code = raw_code if isinstance(raw_code, str) else None
        message = raw_message if isinstance(raw_message, str) else None
    if message is None:
        text = body if isinstance(body, str) else repr(body)
        message = text[:500] if text else f"HTTP {status} with an empty body"
    cls = error_class_for(status, code)
    return cls(message, status_code=status, code=code, body=body, headers=headers)
