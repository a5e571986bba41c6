"""Every exception this package raises, rooted at :class:`TwelveLabsError`.

Two lookups choose the class of an HTTP error: the platform's ``code`` first (so callers
can ``except VideoDurationTooShortError``), then the HTTP status. The same code classes
are raised by the client's preflight before any byte is uploaded; those instances have
``status_code=None`` and ``preflight=True``.

Two facts every error carries, decided here once and asked everywhere else (the
transport's retries, the pollers, the bulk job):

* ``retryable``: the same request may succeed later (connection errors, an unreadable
  2xx body, and the statuses :func:`._retry.should_retry_response` names: 408, 409, 429,
  5xx, or the server's ``x-should-retry``).
* ``ambiguous``: no success answer came, yet the request may have taken effect (a create
  may have made a task): a connection lost after the whole body went out, a 408 or 5xx,
  a 2xx whose body could not be read.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from ._retry import parse_retry_after, should_retry_response

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiKeyInvalidError",
    "ApiResponseValidationError",
    "ApiTimeoutError",
    "AssetUploadError",
    "AuthenticationError",
    "BadGatewayError",
    "BadRequestError",
    "ConflictError",
    "ContentTooLargeError",
    "ContentTypeInvalidError",
    "DecodeRefused",
    "FileTooLargeForBase64Error",
    "ForbiddenError",
    "GatewayTimeoutError",
    "IncompatibleEmbeddingsError",
    "InternalServerError",
    "JournalBusyError",
    "JournalError",
    "MainModuleNotGuardedError",
    "NotFoundError",
    "NotReplayableError",
    "ParameterInvalidError",
    "ParameterNotProvidedError",
    "ParameterUnknownError",
    "ProbeFailed",
    "ProbeUnavailable",
    "RateLimitError",
    "RequestTimeoutError",
    "ResourceNotExistError",
    "ResponseTooLargeError",
    "ServerError",
    "ServiceUnavailableError",
    "TooManyRequestsError",
    "TwelveLabsError",
    "UnprocessableEntityError",
    "UploadError",
    "VideoDurationTooLongError",
    "VideoDurationTooShortError",
    "VideoFileBrokenError",
    "VideoFilesizeTooLargeError",
    "VideoResolutionInvalidAspectRatioError",
    "VideoResolutionTooHighError",
    "VideoResolutionTooLowError",
    "WaitTimeoutError",
    "error_class_for",
    "is_retryable",
    "make_status_error",
]


class TwelveLabsError(Exception):
    """Base of everything this package raises on purpose."""

    retryable: bool = False
    """The same request may succeed if sent again later."""
    ambiguous: bool = False
    """No success answer came, yet the request may have taken effect on the server."""


class ApiError(TwelveLabsError):
    """The platform (or the local engine) answered with a non-2xx status.

    Attributes:
        status_code: HTTP status, or ``None`` for a preflight refusal. Each status class
            carries its own as a class attribute (``NotFoundError.status_code == 404``).
        code: the platform's error code (``parameter_invalid``, ...), when the body has
            one; each code class carries its own (``VideoFileBrokenError.code``).
        message: the platform's human message, or a summary of the body.
        body: the parsed JSON body, or the raw text when it is not JSON.
        headers: response headers, lower-case names.
        request_id: the ``x-request-id`` header, when sent.
        preflight: True when the client refused the request before sending it.
        retryable: 408, 409, 429 or 5xx (unless the server said ``x-should-retry``).
        ambiguous: 408 or 5xx: the server had the request and may have acted on it.
        details: the v2 error body's ``details`` object (``{"error": {"code", "message",
            "details"}}``), when sent.
    """

    status_code: int | None = None
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        preflight: bool = False,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        cls = type(self)
        self.details = details
        self.message = message
        self.status_code = status_code if status_code is not None or preflight else cls.status_code
        self.code = code if code is not None else cls.code
        self.body = body
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.request_id = self.headers.get("x-request-id")
        self.preflight = preflight
        status = self.status_code
        self.retryable = status is not None and should_retry_response(status, self.headers)
        self.ambiguous = status is not None and (status == 408 or status >= 500)

    @property
    def status(self) -> int | None:
        """Deprecated: use ``status_code``."""
        warnings.warn("ApiError.status is deprecated; use status_code", DeprecationWarning, 2)
        return self.status_code

    @property
    def platform_code(self) -> str | None:
        """Deprecated: use ``code``."""
        warnings.warn("ApiError.platform_code is deprecated; use code", DeprecationWarning, 2)
        return self.code

    def __str__(self) -> str:
        where = "preflight" if self.preflight else f"HTTP {self.status_code}"
        code = f" {self.code}" if self.code else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{where}{code}: {self.message}{rid}"


class BadRequestError(ApiError):
    status_code = 400


class AuthenticationError(ApiError):
    status_code = 401


class ForbiddenError(ApiError):
    status_code = 403


class NotFoundError(ApiError):
    status_code = 404


class RequestTimeoutError(ApiError):
    status_code = 408


class ConflictError(ApiError):
    status_code = 409


class ContentTooLargeError(ApiError):
    """413: the content is over a size, duration or page allowance (Embed API v2)."""

    status_code = 413


class UnprocessableEntityError(ApiError):
    status_code = 422


class TooManyRequestsError(ApiError):
    """429: rate limited. ``retry_after`` is the server's hint in seconds, if any."""

    status_code = 429

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers)


RateLimitError = TooManyRequestsError


class ServerError(ApiError):
    """Any 5xx."""


class InternalServerError(ServerError):
    status_code = 500


class BadGatewayError(ServerError):
    status_code = 502


class ServiceUnavailableError(ServerError):
    status_code = 503


class GatewayTimeoutError(ServerError):
    status_code = 504


# --- one class per platform code -----------------------------------------------------


class ParameterInvalidError(BadRequestError):
    code = "parameter_invalid"


class ParameterNotProvidedError(BadRequestError):
    code = "parameter_not_provided"


class ParameterUnknownError(BadRequestError):
    code = "parameter_unknown"


class ContentTypeInvalidError(BadRequestError):
    code = "content_type_invalid"


class VideoResolutionTooLowError(BadRequestError):
    code = "video_resolution_too_low"


class VideoResolutionTooHighError(BadRequestError):
    code = "video_resolution_too_high"


class VideoResolutionInvalidAspectRatioError(BadRequestError):
    code = "video_resolution_invalid_aspect_ratio"


class VideoDurationTooShortError(BadRequestError):
    code = "video_duration_too_short"


class VideoDurationTooLongError(BadRequestError):
    code = "video_duration_too_long"


class VideoFileBrokenError(BadRequestError):
    code = "video_file_broken"


class VideoFilesizeTooLargeError(BadRequestError):
    code = "video_filesize_too_large"


class ApiKeyInvalidError(AuthenticationError):
    code = "api_key_invalid"


class ResourceNotExistError(NotFoundError):
    code = "resource_not_exist"


# --- transport and client-side errors ------------------------------------------------


class ApiConnectionError(TwelveLabsError):
    """No usable response: refused, reset, dropped mid-body, DNS failure.

    ``ambiguous`` is True when the whole request had gone out before the connection
    failed (the transport knows; an error made elsewhere assumes the worst).
    """

    retryable = True

    def __init__(self, message: str, *, ambiguous: bool = True) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.args, self.__dict__))


class ApiTimeoutError(ApiConnectionError):
    """The request took longer than the configured timeout."""


class ResponseTooLargeError(TwelveLabsError):
    """A response body grew past the client's ``max_response_bytes`` (after
    decompression): a broken or hostile server. Not retried."""

    retryable = False

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"the response body is larger than {limit} bytes (at least {size} bytes read, "
            "after decompression); it was not read further"
        )
        self.size = size
        self.limit = limit


class ApiResponseValidationError(TwelveLabsError):
    """A 2xx response whose body is not the JSON the API promises.

    Retryable (a proxy may have mangled it) and ambiguous (the server did answer 2xx).
    """

    retryable = True
    ambiguous = True

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


class FileTooLargeForBase64Error(TwelveLabsError, ValueError):
    """A local file given as a v2 media source is over the base64 allowance and no asset
    upload is available: upload it as an asset and pass its ``asset_id``, or give a URL."""

    def __init__(self, message: str, *, path: str = "", size: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.path = path
        self.size = size
        self.limit = limit

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.args, self.__dict__))


class WaitTimeoutError(TwelveLabsError, TimeoutError):
    """``wait_for_done`` gave up before the task finished; ``last_status`` is the last poll."""

    def __init__(self, message: str, *, task_id: str = "", last_status: Any = None) -> None:
        super().__init__(message)
        self.task_id = task_id
        self.last_status = last_status

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.args, self.__dict__))


class UploadError(TwelveLabsError):
    """The upload's source misbehaved (it changed size or could not be read).

    Not resent by the transport; a bulk job marks the input for a later run."""

    retryable = True


class AssetUploadError(TwelveLabsError):
    """A large upload could not finish: a chunk kept failing, the session expired, or
    the platform refused the assembled file (``message`` says which).

    The upload id and the chunks already confirmed are kept (see ``assets.upload``), so
    running the same upload again sends only what is missing.
    """

    def __init__(
        self,
        message: str,
        *,
        upload_id: str | None = None,
        asset_id: str | None = None,
        chunk_index: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.upload_id = upload_id
        self.asset_id = asset_id
        self.chunk_index = chunk_index


class NotReplayableError(TwelveLabsError, RuntimeError):
    """The file object cannot be rewound, so a failed upload cannot be resent."""


class ProbeUnavailable(TwelveLabsError, RuntimeError):
    """PyAV is not installed (install the ``local`` extra)."""


class ProbeFailed(TwelveLabsError, ValueError):
    """The file could not be opened or decoded as media."""


class DecodeRefused(ProbeFailed):
    """Decoding was stopped by a limit on what one file may cost (a frame over the
    resolution limit, a decoding bomb, a duration its frames cannot back); ``code`` and
    ``message`` are the platform-style refusal to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class JournalError(TwelveLabsError):
    """The journal file cannot be used: not a journal, from a newer version of this
    package, a directory, unreadable. The message names the file."""


class JournalBusyError(JournalError):
    """Another process has this journal open; two runners would upload twice."""


class MainModuleNotGuardedError(TwelveLabsError, RuntimeError):
    """A script started the local engine outside ``if __name__ == "__main__":``.

    The engine's worker processes re-import the main module; without the guard each of
    them would run the script again. Raised before any worker starts.
    """


class IncompatibleEmbeddingsError(TwelveLabsError, ValueError):
    """Vectors that cannot be compared: different models, different dimensions, or a
    query embedded another way than the index it searches."""


def is_retryable(exc: BaseException) -> bool:
    """True for an error of this package that says the same request may succeed later."""
    return isinstance(exc, TwelveLabsError) and exc.retryable


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


_BY_CODE: dict[str, type[ApiError]] = {c.code: c for c in _subclasses(ApiError) if c.code}
_BY_STATUS: dict[int, type[ApiError]] = {
    c.status_code: c for c in _subclasses(ApiError) if c.status_code and c.code is None
}


def error_class_for(status: int | None, code: str | None) -> type[ApiError]:
    """The most specific class: by platform code when known, then by status."""
    if code and code in _BY_CODE:
        by_code = _BY_CODE[code]
        if status is None or by_code.status_code == status:
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
    details: Mapping[str, Any] | None = None
    if isinstance(body, dict):
        raw_code, raw_message = body.get("code"), body.get("message")
        nested = body.get("error")
        if raw_code is None and isinstance(nested, dict):  # the v2 shape {"error": {...}}
            raw_code, raw_message = nested.get("code"), nested.get("message")
            raw_details = nested.get("details")
            details = raw_details if isinstance(raw_details, dict) else None
        code = raw_code if isinstance(raw_code, str) else None
        message = raw_message if isinstance(raw_message, str) else None
    if message is None:
        text = body if isinstance(body, str) else repr(body)
        message = text[:500] if text else f"HTTP {status} with an empty body"
    cls = error_class_for(status, code)
    return cls(message, status_code=status, code=code, body=body, headers=headers, details=details)
