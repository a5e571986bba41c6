"""The pure decisions of bulk jobs, as tables: what a run does with each journal state,
which failures restart where, input identity keys, failure codes, and which rows a lost
part file takes back from the output file. No network, no disk."""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np
import pytest

import twelvelabs_embed as tl
from twelvelabs_embed import video_rules
from twelvelabs_embed._upload import UploadError
from twelvelabs_embed.jobs import identity
from twelvelabs_embed.jobs.failures import describe_error, error_code
from twelvelabs_embed.jobs.identity import JobInput, is_url, make_inputs
from twelvelabs_embed.jobs.journal import STATES, Entry, next_step, restart_state
from twelvelabs_embed.jobs.output import rows_by_task
from twelvelabs_embed.jobs.resume import signature

# --- journal states -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "step"),
    [
        ("pending", "upload"),
        ("uploading", "upload"),  # outcome unknown: the upload step reconciles first
        ("processing", "poll"),
        ("ready", "retrieve"),
        ("retrieved", "report"),
        ("failed", "report"),
    ],
)
def test_next_step_for_each_state(state: str, step: str) -> None:
    assert next_step(state) == step


def test_every_state_has_a_step() -> None:
    assert {s: next_step(s) for s in STATES}.keys() == set(STATES)


@pytest.mark.parametrize(
    ("state", "retryable", "task_id", "retry_failed", "restart"),
    [
        # retryable failures restart on their own; a known task is polled, not re-uploaded
        ("failed", True, "t1", False, "processing"),
        ("failed", True, None, False, "pending"),
        ("failed", True, "t1", True, "processing"),
        # permanent failures stay failed unless asked, then upload again from scratch
        ("failed", False, "t1", False, None),
        ("failed", False, None, False, None),
        ("failed", False, "t1", True, "pending"),
        ("failed", False, None, True, "pending"),
        # other states are never restarted by this rule
        ("retrieved", False, "t1", True, None),
        ("processing", True, "t1", True, None),
        ("pending", False, None, True, None),
    ],
)
def test_restart_state(
    state: str, retryable: bool, task_id: str | None, retry_failed: bool, restart: str | None
) -> None:
    entry = Entry(key="k", source="a.mp4", state=state, retryable=retryable, task_id=task_id)
    assert restart_state(entry, retry_failed=retry_failed) == restart


# --- identity keys --------------------------------------------------------------------

URL = "https://example.com/v.mp4"
BASE = {"model_name": "marengo3.0"}


def _key(item: Any, defaults: dict[str, Any] | None = None) -> str:
    (inp,) = make_inputs([item], defaults or BASE)
    return inp.key


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ({"video_url": URL}, URL, True),  # a mapping and a bare URL are one input
        ({"video_url": URL, "video_clip_length": 4}, {"video_url": URL}, False),
        (
            {"video_url": URL, "video_embedding_scope": "clip"},
            {"video_url": URL, "video_embedding_scope": ["clip"]},
            True,  # a single scope is a one-item list
        ),
        (
            {"video_url": URL, "embedding_option": ["visual", "audio"]},
            {"video_url": URL, "embedding_option": ["audio", "visual"]},
            False,  # option order is kept (it is the order of the rows)
        ),
        ({"video_url": URL, "video_clip_length": None}, {"video_url": URL}, True),
        (URL, URL.upper().replace("HTTPS", "https"), False),  # URLs are taken as written
        ("clip.mp4", os.path.abspath("clip.mp4"), True),  # relative and absolute paths
        ({"video_file": "clip.mp4"}, "clip.mp4", True),
        ("clip.mp4", "other/clip.mp4", False),
    ],
)
def test_input_keys(a: Any, b: Any, same: bool) -> None:
    assert (_key(a) == _key(b)) is same


def test_a_key_is_stable_text() -> None:
    inp = JobInput(URL, "url", URL, {"model_name": "marengo3.0", "video_clip_length": 4})
    # the same (kind, locator, sorted params) always gives the same key, in any process
    again = JobInput("x", "url", URL, {"video_clip_length": 4, "model_name": "marengo3.0"})
    assert inp.key == again.key and len(inp.key) == 32
    assert inp.params_json == '{"model_name":"marengo3.0","video_clip_length":4}'


@pytest.mark.parametrize(
    ("item", "kwargs"),
    [
        ({"video_url": URL, "video_clip_length": 4}, {"video_url": URL, "video_clip_length": 4}),
        ({"video_url": URL, "embedding_option": "visual"}, {"video_url": URL}),
        (
            {"video_file": "a.mp4", "video_embedding_scope": "video"},
            {"video_file": os.path.abspath("a.mp4"), "video_embedding_scope": ["video"]},
        ),
    ],
)
def test_create_kwargs_carry_only_create_parameters(
    item: dict[str, Any], kwargs: dict[str, Any]
) -> None:
    (inp,) = make_inputs([item], BASE)
    assert inp.create_kwargs() == kwargs


def test_item_parameters_win_over_defaults_and_duplicates_collapse() -> None:
    inputs = make_inputs(
        [URL, {"video_url": URL}, {"video_url": URL, "model_name": "other"}],
        {"model_name": "marengo3.0", "video_clip_length": 6},
    )
    assert [(i.model_name, i.params["video_clip_length"]) for i in inputs] == [
        ("marengo3.0", 6),
        ("other", 6),
    ]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"model_name": "marengo3.0"}, "needs video_file or video_url"),
        ({"video_url": URL, "video_clip_lenght": 4}, "unknown input keys"),
    ],
)
def test_bad_input_mappings(item: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_inputs([item], BASE)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("https://a/b.mp4", True),
        ("HTTP://a/b.mp4", True),
        ("ftp://a/b", True),  # a URL, refused by its scheme; never a file "not found"
        ("b.mp4", False),
        ("my clips://b.mp4", False),  # not a scheme: a file name
    ],
)
def test_is_url(text: str, url: bool) -> None:
    assert is_url(text) is url


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("https://a/b.mp4", None),
        ("HTTP://a/b.mp4", None),
        ("b.mp4", None),
        ("/videos/a:b.mp4", None),
        ("ftp://host/a.mp4", "only http(s) URLs can be embedded, not ftp://"),
        ("S3://bucket/a.mp4", "only http(s) URLs can be embedded, not S3://"),
        ("file:///etc/passwd", "only http(s) URLs can be embedded, not file://"),
    ],
)
def test_one_url_scheme_rule_for_the_cli_and_the_jobs(text: str, why: str | None) -> None:
    assert video_rules.unsupported_url(text) == why
    inp = make_inputs([text], BASE)[0]
    if why is None:
        identity.check_input(inp)
    else:
        assert inp.kind == "url" and inp.locator == text  # never made an absolute path
        with pytest.raises(ValueError, match=re.escape(why)):
            identity.check_input(inp)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        # a lost upload is recognised by file name and create parameters, never by option
        ("lib/a/x.mp4", "lib/b/x.mp4", True),
        ("lib/a/x.mp4", "lib/a/y.mp4", False),
        ({"video_file": "x.mp4", "embedding_option": "audio"}, "x.mp4", True),
        ({"video_file": "x.mp4", "video_clip_length": 4}, "x.mp4", False),
        ({"video_url": URL}, {"video_file": "v.mp4"}, False),
    ],
)
def test_reconcile_signature(a: Any, b: Any, same: bool) -> None:
    (first,) = make_inputs([a], BASE)
    (second,) = make_inputs([b], BASE)
    assert (signature(first) == signature(second)) is same


# --- failure codes --------------------------------------------------------------------


def _api(cls: type[tl.ApiError], status: int | None, code: str | None) -> tl.ApiError:
    return cls("the message", status_code=status, code=code)


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (
            _api(tl.VideoFileBrokenError, 400, "video_file_broken"),
            "video_file_broken",
            "video_file_broken: the message",
        ),
        (_api(tl.InternalServerError, 500, None), "http_500", "500: the message"),
        (FileNotFoundError(2, "No such file", "/v/a.mp4"), "file_not_found", "file not found: /v/a.mp4"),
        (PermissionError(13, "Denied", "/v/a.mp4"), "permission_denied", "permission denied: /v/a.mp4"),
        (IsADirectoryError(21, "Is a dir", "/v"), "is_a_directory", "is a directory: /v"),
        (OSError(5, "I/O error", "/v/a.mp4"), "os_error", "I/O error: /v/a.mp4"),
        (OSError("no filename"), "os_error", "no filename"),
        (UploadError("the file changed"), "upload_failed", "the file changed"),
        (tl.ApiConnectionError("reset"), "connection_error", "reset"),
        (tl.ApiTimeoutError("slow"), "connection_error", "slow"),
        (tl.ApiResponseValidationError("not JSON"), "invalid_response", "not JSON"),
        (ValueError("bad clip"), "invalid_input", "bad clip"),
        (KeyError("x"), "invalid_input", "KeyError: 'x'"),
    ],
)  # fmt: skip
def test_failure_code_and_line(exc: BaseException, code: str, line: str) -> None:
    assert error_code(exc) == code
    assert describe_error(exc) == line


# --- part-file recovery ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "wanted", "rows"),
    [
        (["a", "a", "b", "c", "b"], {"a", "b"}, {"a": [0, 1], "b": [2, 4]}),
        (["a", "a"], {"z"}, {}),  # not in the file: left out, retrieved again
        ([], {"a"}, {}),
        (["a", "b"], set(), {}),
        (np.asarray(["a", "b", "a"], dtype=object), {"a"}, {"a": [0, 2]}),
    ],
)
def test_rows_by_task(column: Any, wanted: set[str], rows: dict[str, list[int]]) -> None:
    found = rows_by_task(column, wanted)
    assert {k: v.tolist() for k, v in found.items()} == rows
