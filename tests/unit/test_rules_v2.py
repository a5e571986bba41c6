"""Embed API v2 rules: wire bodies in, a checked plan or the platform's refusal out."""

from __future__ import annotations

from typing import Any

import pytest

from twelvelabs_embed.rules import embed_v1_sync as v1s
from twelvelabs_embed.rules import embed_v2 as r
from twelvelabs_embed.rules import embed_v2_limits as L
from twelvelabs_embed.video_rules import VideoFacts

URL = {"url": "https://example.com/a.mp4"}


def video(**fields: Any) -> dict[str, Any]:
    return {
        "input_type": "video",
        "model_name": "marengo3.0",
        "video": {"media_source": URL, **fields},
    }


def ok(body: dict[str, Any], mode: r.Mode = "sync") -> r.V2Request:
    req, violations = r.parse_request(body, mode)
    assert violations == [] and req is not None
    return req


def refused(body: Any, mode: r.Mode = "sync") -> tuple[str, str, str]:
    req, violations = r.parse_request(body, mode)
    assert req is None and violations
    v = violations[0]
    return v.code, v.parameter or "", " ".join(x.message for x in violations)


def test_video_defaults() -> None:
    req = ok(video())
    m = req.media
    assert m is not None and req.embedding_dimension == 512 and not req.dimension_given
    assert m.options == ("visual", "audio", "transcription") and not m.options_given
    assert m.scopes == ("clip", "asset") and m.separate and not m.fused
    assert m.segmentation == r.Segmentation("dynamic", 4)
    assert r.served_options(req) == ("visual", "audio") and r.engine_violations(req) == []


def test_marengo35_temporal_local_scope_and_dimension() -> None:
    body = {
        "input_type": "video",
        "model_name": "marengo3.5",
        "embedding_dimension": 256,
        "video": {
            "media_source": {"base64_string": "AAAA"},
            "segmentation": {"temporal": {"strategy": "fixed", "fixed": {"duration_sec": 3}}},
            "embedding_scope": ["local"],
            "embedding_option": ["visual", "audio"],
            "embedding_type": ["fused_embedding"],
        },
    }
    req = ok(body, "async")
    assert req.media is not None and req.media.scopes == ("clip",)
    assert req.media.segmentation == r.Segmentation("fixed", 3) and req.media.fused
    assert req.media.source.kind == "base64_string" and req.embedding_dimension == 256
    assert ok({**body, "embedding_dimension": "128"}, "async").embedding_dimension == 128


@pytest.mark.parametrize(
    ("body", "mode", "code", "parameter", "words"),
    [
        ([], "sync", "parameter_invalid", "body", "JSON object"),
        ({"input_type": "text"}, "sync", "parameter_not_provided", "model_name", "required"),
        (
            {"input_type": "text", "model_name": "x"},
            "sync",
            "parameter_invalid",
            "model_name",
            "not a v2 model",
        ),
        (
            {"input_type": "video", "model_name": "marengo3.5", "video": {}},
            "sync",
            "parameter_invalid",
            "input_type",
            "multi_input",
        ),
        (
            {"input_type": "text", "model_name": "marengo3.0"},
            "async",
            "parameter_invalid",
            "input_type",
            "`audio`, `video`",
        ),
        (
            {"input_type": "video", "model_name": "marengo3.0", "text": {"input_text": "a"}},
            "async",
            "parameter_unknown",
            "text",
            "unknown",
        ),
        (
            {"input_type": "text", "model_name": "marengo3.0"},
            "sync",
            "parameter_not_provided",
            "text",
            "required",
        ),
        (
            {"input_type": "text", "model_name": "marengo3.0", "text": {"input_text": " "}},
            "sync",
            "parameter_invalid",
            "text.input_text",
            "empty",
        ),
        (
            {"input_type": "text", "model_name": "marengo3.0", "text": {"input_text": "w " * 501}},
            "sync",
            "parameter_invalid",
            "text.input_text",
            "500 tokens",
        ),
        (
            {
                "input_type": "text",
                "model_name": "marengo3.0",
                "text": {"input_text": "a"},
                "embedding_dimension": 256,
            },
            "sync",
            "parameter_invalid",
            "embedding_dimension",
            "needs `marengo3.5`",
        ),
        (
            {
                "input_type": "text",
                "model_name": "marengo3.0",
                "text": {"input_text": "a"},
                "bogus": 1,
            },
            "sync",
            "parameter_unknown",
            "bogus",
            "unknown",
        ),
        (
            {
                "input_type": "text",
                "model_name": "marengo3.0",
                "text": {"input_text": "a"},
                "video": {},
            },
            "sync",
            "parameter_invalid",
            "video",
            "only the `text`",
        ),
        (video(media_source={}), "sync", "parameter_invalid", "video.media_source", "exactly one"),
        (
            video(media_source={"url": "ftp://x/a.mp4"}),
            "sync",
            "parameter_invalid",
            "video.media_source.url",
            "http(s)",
        ),
        (
            video(media_source={"base64_string": "not base64!"}),
            "sync",
            "parameter_invalid",
            "video.media_source.base64_string",
            "base64",
        ),
        (video(start_sec=5, end_sec=5), "sync", "parameter_invalid", "video.end_sec", "greater"),
        (video(start_sec=-1), "sync", "parameter_invalid", "video.start_sec", "0 or more"),
        (
            video(segmentation={"strategy": "fixed", "fixed": {"duration_sec": 11}}),
            "sync",
            "parameter_invalid",
            "video.segmentation.fixed.duration_sec",
            "2-10",
        ),
        (
            video(segmentation={"strategy": "dynamic", "dynamic": {"min_duration_sec": 6}}),
            "sync",
            "parameter_invalid",
            "video.segmentation.dynamic.min_duration_sec",
            "2-5",
        ),
        (
            video(segmentation={"temporal": {}}),
            "sync",
            "parameter_invalid",
            "video.segmentation.strategy",
            "`fixed`, `dynamic`",
        ),
        (
            video(embedding_option=["smell"]),
            "sync",
            "parameter_invalid",
            "video.embedding_option",
            "`smell`",
        ),
        (
            video(embedding_scope=["local"]),
            "sync",
            "parameter_invalid",
            "video.embedding_scope",
            "`local`",
        ),
        (
            video(embedding_option=["visual"], embedding_type=["fused_embedding"]),
            "sync",
            "parameter_invalid",
            "video.embedding_type",
            "two or more",
        ),
        (
            video(time_based_metadata=[]),
            "sync",
            "parameter_unknown",
            "time_based_metadata",
            "unknown",
        ),
        (
            {
                "input_type": "audio",
                "model_name": "marengo3.0",
                "audio": {
                    "media_source": URL,
                    "segmentation": {"strategy": "dynamic", "dynamic": {"min_duration_sec": 2}},
                },
            },
            "sync",
            "parameter_invalid",
            "audio.segmentation.strategy",
            "`fixed`",
        ),
        (
            {"input_type": "multi_input", "model_name": "marengo3.5", "multi_input": {}},
            "sync",
            "parameter_not_provided",
            "multi_input",
            "both",
        ),
        (
            {
                "input_type": "multi_input",
                "model_name": "marengo3.0",
                "multi_input": {"media_sources": [{"media_type": "video", **URL}]},
            },
            "sync",
            "parameter_invalid",
            "multi_input.media_sources[0].media_type",
            "`image`",
        ),
        (
            {
                "input_type": "multi_input",
                "model_name": "marengo3.5",
                "multi_input": {
                    "media_sources": [
                        {"media_type": "image", **URL},
                        {"media_type": "video", **URL},
                    ]
                },
            },
            "sync",
            "parameter_invalid",
            "multi_input.input_text",
            "different types",
        ),
        (
            {
                "input_type": "multi_input",
                "model_name": "marengo3.5",
                "multi_input": {
                    "input_text": "see <@cat>",
                    "media_sources": [{"media_type": "image", "name": "dog", **URL}],
                },
            },
            "sync",
            "parameter_invalid",
            "multi_input.input_text",
            "<@cat>",
        ),
        (
            {
                "input_type": "video",
                "model_name": "marengo3.5",
                "embedding_uncertainty": True,
                "video": {"media_source": URL},
            },
            "async",
            "parameter_invalid",
            "embedding_uncertainty",
            "`asset`",
        ),
        (
            {
                "input_type": "image",
                "model_name": "marengo3.5",
                "image": {"media_source": URL, "embedding_scope": ["clip"]},
            },
            "async",
            "parameter_invalid",
            "image.embedding_scope",
            "`asset`",
        ),
    ],
)
def test_refusals(body: Any, mode: r.Mode, code: str, parameter: str, words: str) -> None:
    got_code, got_parameter, message = refused(body, mode)
    assert (got_code, got_parameter) == (code, parameter)
    assert words in message


def test_engine_refuses_transcription_and_documents_only_when_asked() -> None:
    asked = ok(video(embedding_option=["visual", "transcription"]))
    (v,) = r.engine_violations(asked)
    assert v.code == "parameter_invalid" and "speech model" in v.message
    doc = ok(
        {"input_type": "document", "model_name": "marengo3.5", "document": {"media_source": URL}},
        "async",
    )
    assert "documents" in r.engine_violations(doc)[0].message
    unsure = ok(
        {
            "input_type": "multi_input",
            "model_name": "marengo3.5",
            "embedding_uncertainty": True,
            "multi_input": {"media_sources": [{"media_type": "image", **URL}]},
        }
    )
    assert "uncertainty" in r.engine_violations(unsure)[0].message


def test_text_tokens_and_truncation() -> None:
    assert L.count_tokens("Hello, world!") == 4
    assert L.truncate_tokens("a b c d", 2) == "a b"
    long = {
        "input_type": "multi_input",
        "model_name": "marengo3.5",
        "multi_input": {"input_text": "w " * 2001},
    }
    assert refused(long)[0] == "parameter_invalid"
    assert ok({**long, "auto_truncate": True}).auto_truncate


@pytest.mark.parametrize(
    ("kind", "model", "mode", "facts", "code"),
    [
        ("video", "marengo3.0", "sync", VideoFacts(640, 360, 601.0), "video_duration_too_long"),
        ("video", "marengo3.5", "sync", VideoFacts(640, 360, 31.0), "video_duration_too_long"),
        ("video", "marengo3.0", "async", VideoFacts(640, 360, 3.0), "video_duration_too_short"),
        ("video", "marengo3.0", "sync", VideoFacts(320, 240, 5.0), "video_resolution_too_low"),
        (
            "video",
            "marengo3.0",
            "sync",
            VideoFacts(None, None, 5.0, has_video=False),
            "video_file_broken",
        ),
        (
            "audio",
            "marengo3.0",
            "sync",
            VideoFacts(None, None, 5.0, has_video=False),
            "parameter_invalid",
        ),
    ],
)
def test_media_facts(kind: str, model: str, mode: str, facts: VideoFacts, code: str) -> None:
    assert L.check_av_facts(kind, model, mode, facts)[0].code == code


def test_media_facts_pass_and_sizes() -> None:
    assert L.check_av_facts("video", "marengo3.0", "sync", VideoFacts(640, 360, 5.0)) == []
    audio = VideoFacts(None, None, 5.0, has_video=False, has_audio=True)
    assert L.check_av_facts("audio", "marengo3.0", "async", audio) == []
    big = L.check_media_size(
        "video", "marengo3.0", "sync", L.MAX_BASE64_DECODED_BYTES + 1, base64=True
    )
    assert big[0].status == 413 and big[0].code == "content_too_large"
    assert L.check_media_size("image", "marengo3.0", "sync", 10, base64=True) == []
    assert L.check_image_facts(L.ImageFacts(100, 400))[0].code == "parameter_invalid"
    assert L.base64_decoded_size("AAAA") == 3 and L.base64_decoded_size("AA==") == 1


def test_v1_sync_rules() -> None:
    assert v1s.check_params(v1s.SyncEmbedParams("marengo3.0", text="a dog")) == []
    (none,) = v1s.check_params(v1s.SyncEmbedParams("marengo3.0"))
    assert none.code == "parameter_not_provided"
    bad = v1s.check_params(v1s.SyncEmbedParams("marengo3.0", image_url="file:///etc/passwd"))
    assert bad[0].parameter == "image_url"
    assert v1s.audio_segments(25.0) == [(0.0, 10.0), (10.0, 20.0), (20.0, 25.0)]
    assert v1s.audio_segments(25.0, 20.0) == [(20.0, 25.0)]
