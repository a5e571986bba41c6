"""The shared platform rules, as tables."""

from __future__ import annotations

import pytest

from twelvelabs_embed import video_rules as r


@pytest.mark.parametrize(
    ("duration", "start", "end", "clip", "expected"),
    [
        (31, None, None, 6, [(0, 6), (6, 12), (12, 18), (18, 24), (24, 30)]),  # 1 s tail dropped
        (
            32,
            None,
            None,
            6,
            [(0, 6), (6, 12), (12, 18), (18, 24), (24, 30), (30, 32)],
        ),  # 2 s tail kept
        (18, None, None, None, [(0, 6), (6, 12), (12, 18)]),
        (5.3, None, None, None, [(0, 5.3)]),  # shorter than one clip: one clip
        (20, 1.5, 10, 6, [(1.5, 7.5), (7.5, 10)]),
        (20, 2, 30, 10, [(2, 12), (12, 20)]),  # end clamps to the duration
        (10, 5, 5, 6, []),
    ],
)
def test_plan_clips(duration, start, end, clip, expected) -> None:  # type: ignore[no-untyped-def]
    assert r.plan_clips(duration, start, end, clip) == [(float(a), float(b)) for a, b in expected]


@pytest.mark.parametrize(
    ("w", "h", "duration", "codes"),
    [
        (1280, 720, 10, []),
        (360, 360, 4, []),
        (2160, 3840, 7200, []),  # portrait 4K
        (864, 360, 10, []),  # exactly 2.4:1
        (359, 640, 10, ["video_resolution_too_low"]),
        (3842, 2160, 10, ["video_resolution_too_high"]),
        (1000, 360, 10, ["video_resolution_invalid_aspect_ratio"]),
        (1280, 720, 3.9, ["video_duration_too_short"]),
        (1280, 720, 7201, ["video_duration_too_long"]),
        (176, 144, 4.0, ["video_resolution_too_low"]),
        (None, None, 10, ["video_file_broken"]),
    ],
)
def test_video_facts(w, h, duration, codes) -> None:  # type: ignore[no-untyped-def]
    found = r.check_video_facts(r.VideoFacts(w, h, duration, has_video=w is not None))
    assert [v.code for v in found] == codes
    assert all(v.status == 400 and v.message for v in found)


def test_the_documented_messages() -> None:
    (clip,) = r.check_create_params(
        r.CreateParams("marengo3.0", "https://x.io/a.mp4", video_clip_length=12)
    )
    assert clip.message == (
        "The `video_clip_length` parameter is invalid. `video_clip_length` should be within 2-10 seconds long"
    )
    (end,) = r.check_create_params(
        r.CreateParams(
            "marengo3.0", "https://x.io/a.mp4", video_start_offset_sec=5, video_end_offset_sec=2
        )
    )
    assert end.message.endswith(
        "`video_end_offset_sec` should be greater than `video_start_offset_sec`"
    )


def test_file_size_and_task_ids() -> None:
    assert r.check_file_size(r.MAX_FILE_SIZE_BYTES) == []
    assert r.check_file_size(r.MAX_FILE_SIZE_BYTES + 1)[0].code == "video_filesize_too_large"
    assert r.check_task_id("66419a20c70bb578439bd8f4") == []
    for bad in ["", "x" * 24, "66419a20c70bb578439bd8f", "../66419a20c70bb578439bd8"]:
        assert r.check_task_id(bad)[0].code == "parameter_invalid"


def test_embedding_options_per_model() -> None:
    assert r.check_embedding_options("marengo3.0", ["visual", "audio"]) == []
    assert r.check_embedding_options("marengo3.0", ["visual-text"])[0].code == "parameter_invalid"
    assert r.check_embedding_options("Marengo-retrieval-2.7", ["visual-text"]) == []
    assert r.normalise_scopes(["video", "clip", "clip"]) == ("clip", "video")
    assert r.normalise_scopes(None) == ("clip",)


def test_list_params() -> None:
    assert r.check_list_params(1, 50, "ready") == []
    assert [v.parameter for v in r.check_list_params(0, 51, "done")] == [
        "page",
        "page_limit",
        "status",
    ]


def test_page_numbers_are_bounded() -> None:
    assert r.check_list_params(r.MAX_PAGE, 10, None) == []
    assert [v.parameter for v in r.check_list_params(10**20, 10, None)] == ["page"]


def test_combine_keeps_the_first_code_and_every_message() -> None:
    a = r.Violation("video_duration_too_short", "Too short.", "video_file")
    b = r.Violation("parameter_invalid", "Bad offset.", "video_start_offset_sec")
    assert r.combine([a]) is a
    both = r.combine([a, b])
    assert (both.code, both.status, both.parameter) == (
        "video_duration_too_short",
        400,
        "video_file",
    )
    assert both.message == "Too short. Bad offset."


@pytest.mark.parametrize(
    ("facts", "start", "end", "codes"),
    [
        (r.VideoFacts(640, 360, 30.0), None, None, []),
        (r.VideoFacts(640, 360, 2.0), None, None, ["video_duration_too_short"]),
        (r.VideoFacts(640, 360, 30.0), 0.0, 40.0, ["parameter_invalid"]),
        # offsets are only checked once the facts pass
        (r.VideoFacts(100, 100, 30.0), 0.0, 40.0, ["video_resolution_too_low"]),
    ],
)
def test_check_media(
    facts: r.VideoFacts, start: float | None, end: float | None, codes: list[str]
) -> None:
    params = r.CreateParams(
        model_name="marengo3.0",
        has_file=True,
        video_start_offset_sec=start,
        video_end_offset_sec=end,
    )
    assert [v.code for v in r.check_media(params, facts)] == codes


def test_list_window_defaults_to_the_retention_days() -> None:
    now = 10 * 86_400_000
    assert r.list_window(None, None, now) == (now - r.RETENTION_DAYS * 86_400_000, None)
    assert r.list_window(5, None, now) == (5, None)
    assert r.list_window(None, 7, now) == (None, 7)
