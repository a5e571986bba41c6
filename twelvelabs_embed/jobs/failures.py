"""How a job names a failure: a code a program can branch on, one printable line, and
whether a re-run should try again (``exc.retryable``, decided in :mod:`..errors`)."""

from __future__ import annotations

from ..errors import (
    ApiConnectionError,
    ApiError,
    ApiResponseValidationError,
    TwelveLabsError,
    UploadError,
)

_OS_CODES: dict[type[OSError], tuple[str, str]] = {
    FileNotFoundError: ("file_not_found", "file not found"),
    PermissionError: ("permission_denied", "permission denied"),
    IsADirectoryError: ("is_a_directory", "is a directory"),
}


def describe_error(exc: BaseException) -> str:
    """One line: the platform code when there is one, else the exception's own words."""
    if isinstance(exc, ApiError):
        return f"{exc.code or exc.status_code or 'error'}: {exc.message}"
    if isinstance(exc, OSError) and exc.filename:
        _, reason = _OS_CODES.get(type(exc), ("", exc.strerror or type(exc).__name__))
        return f"{reason}: {exc.filename}"
    if isinstance(exc, (TwelveLabsError, ValueError, OSError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def failure_message(exc: BaseException) -> str:
    """The reason without the code (``ItemResult`` carries the code beside it)."""
    if isinstance(exc, ApiError):
        return exc.message or f"HTTP {exc.status_code}"
    if isinstance(exc, OSError) and exc.filename:
        return exc.strerror or type(exc).__name__
    return describe_error(exc)


def error_code(exc: BaseException) -> str:
    """The platform's code, else a snake_case name for the client-side cause."""
    if isinstance(exc, ApiError):
        return exc.code or f"http_{exc.status_code}"
    if isinstance(exc, OSError) and type(exc) in _OS_CODES:
        return _OS_CODES[type(exc)][0]
    if isinstance(exc, UploadError):
        return "upload_failed"
    if isinstance(exc, ApiConnectionError):
        return "connection_error"
    if isinstance(exc, ApiResponseValidationError):
        return "invalid_response"
    if isinstance(exc, OSError):
        return "os_error"
    return "invalid_input"
