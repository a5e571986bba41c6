"""Platform-style refusals: one exception that carries ``{code, message}`` and a status.

Handlers and the engine's services raise it; ``middlewares.py`` turns it into a JSON
response. Kept free of aiohttp so code outside ``http/`` can raise it too.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...video_rules import Violation, combine


class ApiProblem(Exception):
    """A refusal the client should see as ``status`` with body ``{"code", "message"}``
    (or ``{"error": {"code", "message", "details"}}`` on the v2 routes; ``details`` is
    sent only there)."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, object] | None = None
    ) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    @classmethod
    def of(cls, violation: Violation) -> ApiProblem:
        return cls(violation.status, violation.code, violation.message)


def from_violations(violations: Sequence[Violation]) -> ApiProblem:
    """Several broken rules answer as one (:func:`video_rules.combine`)."""
    return ApiProblem.of(combine(violations))


def bad_request(code: str, message: str) -> ApiProblem:
    return ApiProblem(400, code, message)


def invalid(parameter: str, why: str) -> ApiProblem:
    return ApiProblem(400, "parameter_invalid", f"The `{parameter}` parameter is invalid. {why}")


def not_found(task_id: str) -> ApiProblem:
    return ApiProblem(
        404,
        "resource_not_exist",
        f"Resource with id {task_id} does not exist in embed tasks.",
    )
