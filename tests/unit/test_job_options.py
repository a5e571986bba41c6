"""The job's knobs are defined once (``JobOptions``); the keyword view and the methods
follow it."""

from __future__ import annotations

import inspect
import typing

import attrs
import pytest

from twelvelabs_embed import AsyncTasksClient, JobOptions, JobOptionsDict, TasksClient


def test_the_keyword_view_matches_the_class() -> None:
    assert typing.get_type_hints(JobOptionsDict) == typing.get_type_hints(JobOptions)
    assert list(JobOptionsDict.__annotations__) == [f.name for f in attrs.fields(JobOptions)]


@pytest.mark.parametrize("cls", [AsyncTasksClient, TasksClient])
@pytest.mark.parametrize("method", ["embed_many", "iter_embed_many"])
def test_the_methods_take_the_options_and_nothing_else(cls: type, method: str) -> None:
    params = inspect.signature(getattr(cls, method)).parameters
    assert list(params) == ["self", "inputs", "options", "on_progress", "overrides"]
    assert params["overrides"].kind is inspect.Parameter.VAR_KEYWORD


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"concurrency": 0}, "concurrency must be at least 1"),
        ({"poll_concurrency": 0}, "poll_concurrency must be at least 1"),
        ({"max_attempts": 0}, "max_attempts must be at least 1"),
        ({"poll_interval": 0}, "poll_interval must be greater than 0"),
    ],
)
def test_bad_values_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        JobOptions(**kwargs)  # type: ignore[arg-type]


def test_keywords_override_an_options_object() -> None:
    base = JobOptions(journal="a.db", concurrency=2)
    assert attrs.evolve(base, concurrency=3) == JobOptions(journal="a.db", concurrency=3)
