"""The one converter: wire names, unknown fields, tolerance, round trips."""

from __future__ import annotations

from datetime import datetime, timezone

import attrs
import cattrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twelvelabs_embed import models as m
from twelvelabs_embed._converter import structure, to_dict


def test_empty_objects_parse_to_all_none() -> None:
    """Every field is optional except the id a create answers with (typed ``str``, so
    ``wait_for_done(task.id)`` type-checks): a create answer without one is refused."""
    for cls in (
        m.TasksCreateResponse,
        m.TasksStatusResponse,
        m.TasksRetrieveResponse,
        m.TasksListResponse,
    ):
        has_id = cls is m.TasksCreateResponse
        obj = structure({"_id": "t1"} if has_id else {}, cls)
        assert all(getattr(obj, a.name) in (None, {}) for a in attrs.fields(cls) if a.name != "id")
        if has_id:
            assert obj.id == "t1"  # type: ignore[attr-defined]
            with pytest.raises(cattrs.BaseValidationError):
                structure({}, cls)


def test_wire_names_and_round_trip() -> None:
    wire = {
        "_id": "t1",
        "status": "ready",
        "created_at": "2024-03-01T00:00:00Z",
        "video_embedding": {
            "metadata": {"video_clip_length": 6, "video_embedding_scope": ["clip"], "future": True},
            "segments": [
                {
                    "float": [0.5, -1],
                    "start_offset_sec": 0,
                    "end_offset_sec": 6,
                    "embedding_option": "visual",
                    "embedding_scope": "clip",
                }
            ],
        },
        "brand_new": {"x": 1},
    }
    obj = structure(wire, m.TasksRetrieveResponse)
    assert obj.id == "t1" and obj.segments[0].float_ == [0.5, -1]
    assert obj.created_at == datetime(2024, 3, 1, tzinfo=timezone.utc)
    assert obj.extra == {"brand_new": {"x": 1}}
    assert obj.video_embedding and obj.video_embedding.metadata
    assert obj.video_embedding.metadata.extra == {"future": True}
    back = to_dict(obj)
    assert back["_id"] == "t1" and back["video_embedding"]["segments"][0]["float"] == [0.5, -1]
    assert back["brand_new"] == {"x": 1} and back["created_at"] == "2024-03-01T00:00:00Z"
    assert structure(back, m.TasksRetrieveResponse) == obj


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {"created_at": "yesterday"},
        {"video_embedding": {"segments": [{"float": ["a"]}]}},
        {"video_embedding": {"segments": [{"float": [[1.0]]}]}},
    ],
)
def test_schema_breaks_raise(bad: object) -> None:
    with pytest.raises((cattrs.BaseValidationError, TypeError, ValueError)):
        structure(bad, m.TasksRetrieveResponse)


def test_matrix_of_mixed_lengths_is_refused() -> None:
    segs = [m.VideoSegment(float_=[1.0, 2.0]), m.VideoSegment(float_=[1.0])]
    with pytest.raises(ValueError, match="different lengths"):
        m.segments_to_matrix(segs)
    empty = m.TasksRetrieveResponse().to_numpy()
    assert empty.vectors.shape == (0, 0) and len(empty) == 0


@given(st.lists(st.lists(st.floats(allow_nan=False, width=32), min_size=4, max_size=4), max_size=8))
def test_to_numpy_matches_the_floats(rows: list[list[float]]) -> None:
    resp = structure(
        {
            "video_embedding": {
                "segments": [{"float": r, "embedding_option": "audio"} for r in rows]
            }
        },
        m.TasksRetrieveResponse,
    )
    matrix = resp.to_numpy()
    assert matrix.vectors.dtype == np.float32
    np.testing.assert_array_equal(
        matrix.vectors.reshape(-1), np.asarray(rows, dtype=np.float32).reshape(-1)
    )


@pytest.mark.parametrize("bad", [{"a": 1}, [1], 5, True])
def test_text_fields_refuse_non_strings(bad: object) -> None:
    """A malformed body must not become a made-up id like ``"{'a': 1}"``."""
    with pytest.raises(cattrs.BaseValidationError):
        structure({"_id": bad}, m.TasksCreateResponse)
    with pytest.raises(cattrs.BaseValidationError):
        structure(
            {"video_embedding": {"metadata": {"video_embedding_scope": [bad]}}},
            m.TasksStatusResponse,
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"page_info": {"total_page": 2.9}},
        {"page_info": {"page": "2"}},
        {"page_info": {"page": True}},
        {"data": [{"video_embedding": {"metadata": {"video_embedding_scope": "clip"}}}]},
        {"data": [{"video_embedding": {"metadata": {"video_clip_length": "6"}}}]},
        {"data": [{"video_embedding": {"metadata": {"duration": False}}}]},
    ],
)
def test_loose_types_are_refused(bad: object) -> None:
    with pytest.raises((cattrs.BaseValidationError, TypeError, ValueError)):
        structure(bad, m.TasksListResponse)


def test_whole_floats_pass_as_ints_and_a_text_error_is_kept() -> None:
    info = structure({"page_info": {"page": 2.0, "total_page": 3}}, m.TasksListResponse).page_info
    assert info is not None and (info.page, info.total_page) == (2, 3)
    st = structure({"status": "failed", "error": "decoder exploded"}, m.TasksStatusResponse)
    assert st.error == m.TaskError(message="decoder exploded")


def test_v2_requests_go_out_in_wire_form() -> None:
    from twelvelabs_embed._converter import request_to_wire
    from twelvelabs_embed.types import (
        AsyncTemporalSegmentation,
        MediaSource,
        TemporalSegmentation_Dynamic,
        TemporalSegmentationDynamicDynamic,
        VideoInputRequest,
        VideoSegmentation_Fixed,
        VideoSegmentationFixedFixed,
    )

    req = VideoInputRequest(
        media_source=MediaSource(base_64_string="AAAA"),
        segmentation=VideoSegmentation_Fixed(fixed=VideoSegmentationFixedFixed(duration_sec=4)),
        embedding_option=["visual"],
    )
    assert request_to_wire(req) == {
        "media_source": {"base64_string": "AAAA"},
        "segmentation": {"strategy": "fixed", "fixed": {"duration_sec": 4}},
        "embedding_option": ["visual"],
    }
    temporal = AsyncTemporalSegmentation(
        temporal=TemporalSegmentation_Dynamic(
            dynamic=TemporalSegmentationDynamicDynamic(min_duration_sec=2)
        )
    )
    assert request_to_wire(temporal) == {
        "temporal": {"strategy": "dynamic", "dynamic": {"min_duration_sec": 2}}
    }
    plain = {"media_source": {"base_64_string": "x", "url": None}, "start_sec": 1}
    assert request_to_wire(plain) == {"media_source": {"base64_string": "x"}, "start_sec": 1}


def test_v2_responses_parse_with_vectors_checked() -> None:
    from twelvelabs_embed.types import EmbeddingSuccessResponse, EmbeddingTaskResponse

    task = structure(
        {
            "_id": "t",
            "status": "ready",
            "data": [
                {"embedding": [1, 2.5], "embedding_option": "visual", "start_sec": 0, "end_sec": 2},
                {"embedding": [0.5, 0], "embedding_option": "visual", "embedding_scope": "asset"},
            ],
            "metadata": {
                "input_type": "video",
                "duration": 3,
                "embedding_options": ["visual"],
                "new": 1,
            },
        },
        EmbeddingTaskResponse,
    )
    assert task.id == "t" and task.done and task.metadata is not None
    assert task.metadata.extra == {"new": 1}
    m = task.to_numpy()
    assert m.vectors.shape == (2, 2) and m.embedding_scope == ("", "asset")
    assert to_dict(task)["_id"] == "t"
    with pytest.raises(cattrs.BaseValidationError):
        structure({"data": [{"embedding": ["a"]}]}, EmbeddingSuccessResponse)
    usage = {"input_tokens": {"video": 12}, "truncated": False}
    parsed = structure({"data": [], "usage": usage}, EmbeddingSuccessResponse)
    assert parsed.usage is not None and parsed.usage.truncated is False
    with pytest.raises(cattrs.BaseValidationError):
        structure({"usage": {**usage, "truncated": 0}}, EmbeddingSuccessResponse)
