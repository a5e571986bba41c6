"""The HTML report, opened in a real headless Chromium: the thumbnails are there."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import av
import numpy as np
import pytest

from tests.search.browser import boxes_of_colour, screenshot
from tests.search.conftest import Library
from twelvelabs_embed.search import Filters, Hit, SearchIndex, find_similar
from twelvelabs_embed.search.report import render_hits, render_similar, write_report
from twelvelabs_embed.search.thumbnails import thumbnail_jpeg

PLACEHOLDER = (0xD0, 0xD5, 0xDD)  # .thumb background: what shows where no picture is


def _jpeg_rgb(jpeg: bytes) -> np.ndarray:
    codec = av.CodecContext.create("mjpeg", "r")
    frames = codec.decode(av.Packet(jpeg))
    return frames[0].to_ndarray(format="rgb24")


def _hits(library: Library, k: int = 4) -> list[Hit]:
    index = SearchIndex.from_results(library.results)
    row = index.row_at(str(library.videos["a"]), 10.0, option="visual")
    return index.search(index.vectors[row], k=k, filters=Filters(option="visual", scope="clip"))


def test_thumbnail_is_the_frame_at_the_segment_start(library: Library) -> None:
    jpeg = thumbnail_jpeg(str(library.videos["b"]), 9.0)
    assert jpeg is not None and jpeg[:2] == b"\xff\xd8"
    img = _jpeg_rgb(jpeg)
    assert img.shape == (200, 320, 3)  # 640x400 scaled to 320 wide
    later = _jpeg_rgb(thumbnail_jpeg(str(library.videos["b"]), 12.0) or b"")
    assert np.abs(img.astype(int) - later).mean() > 10  # another scene starts at 12 s
    assert thumbnail_jpeg("https://example.com/x.mp4", 1.0) is None
    assert thumbnail_jpeg(str(library.results), 1.0) is None  # not a video


def test_page_is_self_contained_and_escaped(library: Library, tmp_path: Path) -> None:
    hits = _hits(library)
    page = render_hits(hits, query='<script>alert("x")</script>', model_name="marengo3.0")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count("data:image/jpeg;base64,") == len(hits)
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing loaded from elsewhere
    for uri in re.findall(r'data:image/jpeg;base64,([^"]+)', page):
        assert base64.b64decode(uri)[:2] == b"\xff\xd8"
    assert "0:09.0–0:12.0" in page  # time range of the top hit


@pytest.mark.timeout(400)
def test_chromium_renders_every_thumbnail(library: Library, tmp_path: Path) -> None:
    hits = _hits(library)
    with_pictures = write_report(tmp_path / "report.html", render_hits(hits, query="a at 0:10"))
    # the same page where no source is reachable: grey placeholders mark the boxes
    gone = [Hit(**{**h.to_dict(), "source": str(tmp_path / f"gone{i}.mp4")}) for i, h in enumerate(hits)]  # fmt: skip
    placeholders = write_report(tmp_path / "empty.html", render_hits(gone, query="a at 0:10"))
    shot = screenshot(with_pictures, tmp_path / "report.png")
    blank = screenshot(placeholders, tmp_path / "empty.png")
    boxes = boxes_of_colour(blank, PLACEHOLDER)
    assert len(boxes) == len(hits), boxes
    for box, hit in zip(boxes, hits, strict=True):
        top, left, bottom, right = box
        assert 230 <= right - left <= 250  # the 240 px thumbnail column
        region = shot[top : top + (bottom - top) * 2 // 3, left:right].astype(np.float64)
        assert region.std() > 15, "a flat box: the thumbnail did not render"
        frame = _jpeg_rgb(thumbnail_jpeg(hit.source, hit.start_offset_sec) or b"")
        # the box shows this hit's frame: mean colour within a few levels per channel
        h = frame.shape[0]
        expected = frame[h // 10 : h * 2 // 3].reshape(-1, 3).mean(axis=0)
        assert np.abs(region.reshape(-1, 3).mean(axis=0) - expected).max() < 12
    assert np.abs(shot.astype(int) - blank).mean() > 1  # the pictures changed the page


@pytest.mark.timeout(400)
def test_chromium_renders_the_duplicates_page(library: Library, tmp_path: Path) -> None:
    report = find_similar(SearchIndex.from_results(library.results))
    page = write_report(tmp_path / "similar.html", render_similar(report))
    shot = screenshot(page, tmp_path / "similar.png", height=900)
    assert page.read_text().count("<img") == 2 * len(report.clip_pairs)
    assert shot.reshape(-1, 3).std(axis=0).min() > 20  # pictures, not an empty page
